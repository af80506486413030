// Webhooks through the official Admin API client: register one pointing at an HTTP server
// this test runs, make the event happen, receive Ghost's payload with a valid signature,
// then edit and delete the webhook.
import assert from 'node:assert/strict';
import {createHmac} from 'node:crypto';
import {createServer} from 'node:http';
import {after, before, test} from 'node:test';
import {setTimeout as sleep} from 'node:timers/promises';

import {OBJECT_ID, adminApi, within} from './lib.mjs';

const api = adminApi();
const unique = `${Date.now()}`;
const secret = `compat-secret-${unique}`;

// Every request the server receives: {path, headers, body (string)}.
const received = [];
const waiters = [];
let server;
let target;

before(async () => {
    server = createServer((request, response) => {
        const parts = [];
        request.on('data', part => parts.push(part));
        request.on('end', () => {
            received.push({path: request.url, headers: request.headers, body: Buffer.concat(parts).toString('utf8')});
            response.writeHead(200, {'Content-Type': 'text/plain'});
            response.end('ok');
            waiters.splice(0).forEach(wake => wake());
        });
    });
    await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
    target = `http://127.0.0.1:${server.address().port}`;
});

after(() => new Promise(resolve => server.close(resolve)));

// The first delivery to ``path`` after ``since`` requests had arrived.
async function deliveryTo(path, since) {
    for (;;) {
        const found = received.slice(since).find(delivery => delivery.path === path);
        if (found) {
            return found;
        }
        await new Promise(resolve => waiters.push(resolve));
    }
}

let webhook;
let post;

test('register a webhook for post.published', async () => {
    webhook = await api.webhooks.add({
        event: 'post.published',
        target_url: `${target}/published`,
        name: `Compat ${unique}`,
        secret
    });
    assert.match(webhook.id, OBJECT_ID);
    assert.equal(webhook.event, 'post.published');
    assert.equal(webhook.target_url, `${target}/published`);
});

test('publishing a post delivers Ghost\'s payload, signed', async () => {
    post = await api.posts.add(
        {title: `Webhook post ${unique}`, html: '<p>Words that travel.</p>'},
        {source: 'html'}
    );
    const since = received.length;
    await api.posts.edit({id: post.id, status: 'published', updated_at: post.updated_at});
    const delivery = await within(15000, deliveryTo('/published', since), 'the post.published webhook');

    assert.match(delivery.headers['content-type'], /^application\/json/);
    const payload = JSON.parse(delivery.body);
    assert.equal(payload.post.current.id, post.id);
    assert.equal(payload.post.current.status, 'published');
    assert.equal(payload.post.current.title, `Webhook post ${unique}`);
    assert.match(payload.post.current.html, /Words that travel\./);
    assert.equal(typeof payload.post.current.plaintext, 'string');
    assert.ok(Array.isArray(payload.post.current.tags) && Array.isArray(payload.post.current.authors));
    assert.equal(typeof payload.post.previous, 'object');

    // X-Ghost-Signature: sha256=<hex HMAC of the body followed by t>, t=<milliseconds>
    const signature = delivery.headers['x-ghost-signature'];
    assert.ok(signature, 'the delivery has no X-Ghost-Signature header');
    const match = /^sha256=([0-9a-f]{64}), t=(\d+)$/.exec(signature);
    assert.ok(match, `X-Ghost-Signature "${signature}" is not in Ghost's format`);
    const expected = createHmac('sha256', secret).update(`${delivery.body}${match[2]}`).digest('hex');
    assert.equal(match[1], expected, 'the signature does not match the body and the secret');
});

test('edit the webhook to another event', async () => {
    const edited = await api.webhooks.edit({id: webhook.id, event: 'post.unpublished', target_url: `${target}/unpublished`});
    assert.equal(edited.event, 'post.unpublished');
    const current = await api.posts.read({id: post.id});
    const since = received.length;
    await api.posts.edit({id: post.id, status: 'draft', updated_at: current.updated_at});
    const delivery = await within(15000, deliveryTo('/unpublished', since), 'the post.unpublished webhook');
    assert.equal(JSON.parse(delivery.body).post.current.id, post.id);
});

test('after deleting the webhook nothing more is delivered', async () => {
    await api.webhooks.delete({id: webhook.id});
    const current = await api.posts.read({id: post.id});
    const since = received.length;
    await api.posts.edit({id: post.id, status: 'published', updated_at: current.updated_at});
    await api.posts.edit({id: post.id, status: 'draft', updated_at: (await api.posts.read({id: post.id})).updated_at});
    // Deliveries go out within moments; give a late one the time to show up.
    await sleep(1500);
    assert.deepEqual(received.slice(since).map(delivery => delivery.path), []);
    await api.posts.delete({id: post.id});
});
