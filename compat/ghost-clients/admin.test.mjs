// Ghost's official Admin API client (@tryghost/admin-api) against masthead: what writing
// tools and scripts do with it. Posts from HTML, edits and collisions, publishing, images,
// members, tags and the site; webhooks are in webhooks.test.mjs.
import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

import {OBJECT_ID, adminApi, contentApi, isAbsoluteUrl, rejectsWith, seed} from './lib.mjs';
import {pngImage} from './png.mjs';

const api = adminApi();
const unique = `${Date.now()}`;
const workDir = mkdtempSync(join(tmpdir(), 'masthead-compat-'));

after(() => rmSync(workDir, {recursive: true, force: true}));

describe('posts', () => {
    let post;

    // The byline: an author the Content API lists, named by id as Ghost's clients do.
    let author;

    test('add a draft from HTML', async () => {
        author = seed.author_slug ? await contentApi().authors.read({slug: seed.author_slug}) : null;
        post = await api.posts.add(
            {
                title: `Compat draft ${unique}`,
                html: '<p>The first paragraph, written elsewhere.</p><h2>A heading</h2><p>The second <strong>paragraph</strong>.</p>',
                tags: [`Compat ${unique}`],
                ...(author ? {authors: [{id: author.id}]} : {}),
                custom_excerpt: 'Written in another tool.'
            },
            {source: 'html'}
        );
        assert.match(post.id, OBJECT_ID);
        assert.equal(post.title, `Compat draft ${unique}`);
        assert.equal(post.status, 'draft');
        assert.equal(typeof post.updated_at, 'string');
        assert.equal(post.custom_excerpt, 'Written in another tool.');
    });

    test('read it back as HTML', async () => {
        const read = await api.posts.read({id: post.id}, {formats: 'html', include: 'tags,authors'});
        assert.equal(read.id, post.id);
        assert.match(read.html, /The first paragraph, written elsewhere\./);
        assert.match(read.html, /<strong>paragraph<\/strong>/);
        assert.deepEqual(read.tags.map(tag => tag.name), [`Compat ${unique}`]);
        assert.ok(Array.isArray(read.authors));
        if (author) {
            assert.deepEqual(read.authors.map(a => a.id), [author.id]);
            assert.equal(read.primary_author.id, author.id);
        }
        const bySlug = await api.posts.read({slug: read.slug});
        assert.equal(bySlug.id, post.id);
    });

    test('drafts are listed in the Admin API and hidden from the Content API', async () => {
        const drafts = await api.posts.browse({filter: 'status:draft', limit: 100});
        assert.ok(drafts.some(draft => draft.id === post.id));
        assert.ok(drafts.every(draft => draft.status === 'draft'));
        await rejectsWith(contentApi().posts.read({id: post.id}), 'NotFoundError');
    });

    test('edit with the current updated_at', async () => {
        // Ghost's updated_at has whole seconds: wait so that the edit gets a new one, and
        // the old value becomes stale for the collision check below.
        await sleep(1100);
        const edited = await api.posts.edit({
            id: post.id,
            title: `Compat post ${unique}`,
            updated_at: post.updated_at
        });
        assert.equal(edited.id, post.id);
        assert.equal(edited.title, `Compat post ${unique}`);
        assert.notEqual(edited.updated_at, post.updated_at);
        post = {...post, stale_updated_at: post.updated_at, updated_at: edited.updated_at};
    });

    test('an edit with a stale updated_at is an UpdateCollisionError', async () => {
        const error = await rejectsWith(
            api.posts.edit({id: post.id, title: 'Lost update', updated_at: post.stale_updated_at}),
            'UpdateCollisionError'
        );
        assert.equal(error.code, 'UPDATE_COLLISION');
        const read = await api.posts.read({id: post.id});
        assert.equal(read.title, `Compat post ${unique}`);
    });

    test('an edit without updated_at is a ValidationError', async () => {
        await rejectsWith(api.posts.edit({id: post.id, title: 'No date'}), 'ValidationError');
    });

    test('publish it, and the Content API serves it', async () => {
        const published = await api.posts.edit({
            id: post.id,
            status: 'published',
            updated_at: post.updated_at
        });
        assert.equal(published.status, 'published');
        assert.equal(typeof published.published_at, 'string');
        assert.ok(isAbsoluteUrl(published.url));
        const seen = await contentApi().posts.read({id: post.id}, {include: 'tags'});
        assert.equal(seen.title, `Compat post ${unique}`);
        assert.match(seen.html, /The first paragraph, written elsewhere\./);
        const page = await fetch(published.url);
        assert.equal(page.status, 200, `${published.url} answered ${page.status}`);
        assert.match(await page.text(), new RegExp(`Compat post ${unique}`));
    });

    test('delete it', async () => {
        await api.posts.delete({id: post.id});
        await rejectsWith(api.posts.read({id: post.id}), 'NotFoundError');
        await rejectsWith(contentApi().posts.read({id: post.id}), 'NotFoundError');
    });
});

describe('pages', () => {
    test('add a page from HTML, publish it, read it through both APIs, delete it', async () => {
        const page = await api.pages.add(
            {title: `Compat page ${unique}`, html: '<p>About this site.</p>', status: 'published'},
            {source: 'html'}
        );
        assert.match(page.id, OBJECT_ID);
        assert.equal(page.status, 'published');
        const read = await api.pages.read({id: page.id}, {formats: 'html'});
        assert.match(read.html, /About this site\./);
        const seen = await contentApi().pages.read({slug: page.slug});
        assert.equal(seen.id, page.id);
        await rejectsWith(contentApi().posts.read({slug: page.slug}), 'NotFoundError');
        await api.pages.delete({id: page.id});
        await rejectsWith(api.pages.read({id: page.id}), 'NotFoundError');
    });
});

describe('newsletters', () => {
    test('browse and read', async () => {
        const newsletters = await api.newsletters.browse();
        assert.ok(newsletters.length >= 1);
        const [first] = newsletters;
        assert.match(first.id, OBJECT_ID);
        assert.ok(['active', 'archived'].includes(first.status), `the Admin API newsletter has no status: ${JSON.stringify(first)}`);
        const read = await api.newsletters.read({id: first.id});
        assert.equal(read.slug, first.slug);
    });
});

describe('images', () => {
    test('upload a PNG and fetch it from the returned url', async () => {
        const path = join(workDir, 'compat-pixel.png');
        writeFileSync(path, pngImage(16, 12));
        const image = await api.images.upload({file: path, ref: 'compat-pixel.png'});
        assert.ok(isAbsoluteUrl(image.url), `the image url ${image.url} is not absolute`);
        assert.equal(image.ref, 'compat-pixel.png');
        const response = await fetch(image.url);
        assert.equal(response.status, 200, `${image.url} answered ${response.status}`);
        assert.match(response.headers.get('content-type'), /^image\//);
    });

    test('a file that is not an image is refused with Ghost\'s error', async () => {
        const path = join(workDir, 'notes.txt');
        writeFileSync(path, 'not an image');
        let error;
        try {
            await api.images.upload({file: path});
        } catch (caught) {
            error = caught;
        }
        assert.ok(error, 'a text file was accepted as an image');
        assert.ok(
            ['UnsupportedMediaTypeError', 'ValidationError', 'BadRequestError'].includes(error.type),
            `got ${error.name}: ${error.message}`
        );
    });
});

describe('members', () => {
    const email = `compat-${unique}@example.org`;
    let member;

    test('add a member', async () => {
        member = await api.members.add({email, name: 'Compat Reader', note: 'Added by a script'});
        assert.match(member.id, OBJECT_ID);
        assert.equal(member.email, email);
        assert.equal(member.name, 'Compat Reader');
        assert.equal(member.status, 'free');
        assert.ok(Array.isArray(member.labels));
        assert.ok(Array.isArray(member.newsletters));
    });

    test('the same email twice is refused', async () => {
        let error;
        try {
            await api.members.add({email});
        } catch (caught) {
            error = caught;
        }
        assert.ok(error, 'a second member with the same email was added');
        assert.ok(['ValidationError', 'BadRequestError'].includes(error.type), `got ${error.name}: ${error.message}`);
    });

    test('browse members with a filter', async () => {
        const found = await api.members.browse({filter: `email:'${email}'`});
        assert.deepEqual(found.map(m => m.id), [member.id]);
        assert.equal(found.meta.pagination.total, 1);
        const free = await api.members.browse({filter: 'status:free', limit: 100});
        assert.ok(free.every(m => m.status === 'free'));
    });

    test('read and edit the member', async () => {
        const read = await api.members.read({id: member.id});
        assert.equal(read.email, email);
        const edited = await api.members.edit({id: member.id, name: 'Compat Reader, renamed'});
        assert.equal(edited.name, 'Compat Reader, renamed');
    });
});

describe('tags', () => {
    let tag;

    test('add, edit and delete a tag', async () => {
        tag = await api.tags.add({name: `Compat tag ${unique}`, description: 'Made by a script.'});
        assert.match(tag.id, OBJECT_ID);
        assert.equal(tag.name, `Compat tag ${unique}`);
        assert.equal(tag.slug, `compat-tag-${unique}`);
        const edited = await api.tags.edit({id: tag.id, description: 'Edited by a script.', updated_at: tag.updated_at});
        assert.equal(edited.description, 'Edited by a script.');
        const read = await api.tags.read({slug: tag.slug});
        assert.equal(read.id, tag.id);
        await api.tags.delete({id: tag.id});
        await rejectsWith(api.tags.read({id: tag.id}), 'NotFoundError');
    });

    test('a tag whose name starts with # is internal', async () => {
        const internal = await api.tags.add({name: `#compat-${unique}`});
        assert.equal(internal.visibility, 'internal');
        await api.tags.delete({id: internal.id});
    });
});

describe('site and keys', () => {
    test('site', async () => {
        const site = await api.site.read();
        assert.equal(typeof site.title, 'string');
        assert.ok(isAbsoluteUrl(site.url));
        assert.match(site.version, /^\d+\.\d+$/);
    });

    test('an unknown admin key is an UnauthorizedError', async () => {
        const stranger = adminApi(`${'0'.repeat(24)}:${'a'.repeat(64)}`);
        await rejectsWith(stranger.posts.browse(), 'UnauthorizedError');
    });

    test('a token signed with the wrong secret is an UnauthorizedError', async () => {
        const [id] = process.env.ADMIN_KEY.split(':');
        const forger = adminApi(`${id}:${'b'.repeat(64)}`);
        await rejectsWith(forger.posts.browse(), 'UnauthorizedError');
    });
});
