// What every test file of the suite shares: the server under test, the official clients
// pointed at it, and the checks that keep the test files short.
//
// Environment:
//   MASTHEAD_URL  the site's root, e.g. http://127.0.0.1:8000 (no trailing slash)
//   CONTENT_KEY   an integration's Content API key (26 hex characters)
//   ADMIN_KEY     the same integration's Admin API key ("<24 hex>:<64 hex>")
//   SEED          optional JSON of rows the caller made, e.g.
//                 {"gated_slug": "...", "gated_marker": "...", "featured_slug": "..."};
//                 without it the tests find their rows by browsing.
import assert from 'node:assert/strict';
import GhostAdminAPI from '@tryghost/admin-api';
import GhostContentAPI from '@tryghost/content-api';

export const VERSION = 'v6.0';

function required(name) {
    const value = process.env[name];
    if (!value) {
        throw new Error(
            `${name} is not set: run the suite through masthead/contentapi/tests/test_official_clients.py, ` +
            'or set MASTHEAD_URL, CONTENT_KEY and ADMIN_KEY for a running server.'
        );
    }
    return value;
}

export const url = required('MASTHEAD_URL').replace(/\/+$/, '');
export const seed = JSON.parse(process.env.SEED || '{}');

export function contentApi(key = required('CONTENT_KEY')) {
    return new GhostContentAPI({url, key, version: VERSION});
}

export function adminApi(key = required('ADMIN_KEY')) {
    return new GhostAdminAPI({url, key, version: VERSION});
}

export const OBJECT_ID = /^[0-9a-f]{24}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// Ghost writes post dates in the site's timezone with milliseconds and an offset.
export const POST_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/;

// Assert that ``promise`` rejects the way the clients report a Ghost error: an Error whose
// ``name`` and ``type`` are Ghost's error type. Returns the error for further checks.
export async function rejectsWith(promise, type) {
    let error;
    try {
        await promise;
    } catch (caught) {
        error = caught;
    }
    assert.ok(error, `expected the call to fail with ${type}, but it succeeded`);
    assert.equal(
        error.type,
        type,
        `expected a ${type}, got ${error.name}: ${error.message} ${JSON.stringify(error.context ?? null)}`
    );
    assert.equal(error.name, type);
    return error;
}

export function isAbsoluteUrl(value) {
    return typeof value === 'string' && /^https?:\/\//.test(value);
}

// The time a promise of a value may take before a test gives up waiting for it.
export function within(ms, promise, what) {
    let timer;
    const timeout = new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
