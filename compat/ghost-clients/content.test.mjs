// Ghost's official Content API client (@tryghost/content-api) against masthead: every
// resource it can browse or read, with the parameters front ends actually send.
import assert from 'node:assert/strict';
import {before, describe, test} from 'node:test';

import GhostContentAPI from '@tryghost/content-api';

import {
    OBJECT_ID,
    POST_DATE,
    UUID,
    contentApi,
    isAbsoluteUrl,
    rejectsWith,
    seed,
    url
} from './lib.mjs';

const api = contentApi();

// The first post that has a tag and an author: the filters below are built from it.
let sample;

before(async () => {
    const posts = await api.posts.browse({include: 'tags,authors', limit: 100});
    sample = posts.find(post => post.tags.length && post.authors.length);
    assert.ok(sample, 'the site needs at least one published post with a tag and an author');
});

describe('posts', () => {
    test('browse with tags and authors: Ghost post objects and pagination', async () => {
        const posts = await api.posts.browse({include: 'tags,authors', limit: 2});
        assert.ok(Array.isArray(posts));
        assert.ok(posts.length >= 1 && posts.length <= 2, `got ${posts.length} posts for limit=2`);
        const {pagination} = posts.meta;
        assert.equal(pagination.page, 1);
        assert.equal(pagination.limit, 2);
        assert.equal(pagination.prev, null);
        assert.equal(pagination.pages, Math.ceil(pagination.total / 2));
        assert.equal(pagination.next, pagination.pages > 1 ? 2 : null);
        for (const post of posts) {
            assert.match(post.id, OBJECT_ID);
            assert.match(post.uuid, UUID);
            assert.equal(typeof post.title, 'string');
            assert.equal(typeof post.slug, 'string');
            assert.equal(typeof post.html, 'string');
            assert.match(post.published_at, POST_DATE);
            assert.match(post.created_at, POST_DATE);
            assert.match(post.updated_at, POST_DATE);
            assert.ok(isAbsoluteUrl(post.url), `post url ${post.url} is not absolute`);
            assert.ok(['public', 'members', 'paid', 'tiers'].includes(post.visibility));
            assert.equal(typeof post.featured, 'boolean');
            assert.equal(typeof post.reading_time, 'number');
            assert.ok(Array.isArray(post.tags) && Array.isArray(post.authors));
            assert.ok('primary_tag' in post && 'primary_author' in post);
            if (post.authors.length) {
                assert.deepEqual(post.primary_author.id, post.authors[0].id);
            }
            for (const hidden of ['mobiledoc', 'lexical', 'status', 'email_only', 'newsletter']) {
                assert.ok(!(hidden in post), `the Content API must not send ${hidden}`);
            }
        }
    });

    test('browse without include sends no tags or authors', async () => {
        const [post] = await api.posts.browse({limit: 1});
        assert.ok(!('tags' in post) && !('authors' in post));
    });

    test('limit and page walk through the posts without repeating one', async () => {
        const first = await api.posts.browse({limit: 1, page: 1});
        if (first.meta.pagination.total < 2) {
            assert.equal(first.meta.pagination.next, null);
            return;
        }
        const second = await api.posts.browse({limit: 1, page: 2});
        assert.equal(second.meta.pagination.page, 2);
        assert.equal(second.meta.pagination.prev, 1);
        assert.notEqual(first[0].id, second[0].id);
        const beyond = await api.posts.browse({limit: 1, page: first.meta.pagination.total + 1});
        assert.equal(beyond.length, 0);
    });

    test('limit all is capped at 100', async () => {
        const posts = await api.posts.browse({limit: 'all'});
        assert.equal(posts.meta.pagination.limit, 100);
        assert.ok(posts.length <= 100);
    });

    test('posts come newest first', async () => {
        const posts = await api.posts.browse({limit: 15});
        const dates = posts.map(post => Date.parse(post.published_at));
        assert.deepEqual(dates, [...dates].sort((a, b) => b - a));
    });

    test('filter by tag', async () => {
        const tag = sample.tags[0].slug;
        const posts = await api.posts.browse({filter: `tag:${tag}`, include: 'tags'});
        assert.ok(posts.some(post => post.id === sample.id), `${sample.slug} is missing from tag:${tag}`);
        for (const post of posts) {
            assert.ok(post.tags.some(t => t.slug === tag), `${post.slug} does not have the tag ${tag}`);
        }
    });

    test('filter by author, and by tag or author', async () => {
        const author = sample.authors[0].slug;
        const byAuthor = await api.posts.browse({filter: `author:${author}`, include: 'authors'});
        assert.ok(byAuthor.some(post => post.id === sample.id));
        for (const post of byAuthor) {
            assert.ok(post.authors.some(a => a.slug === author));
        }
        const either = await api.posts.browse({
            filter: `tag:${sample.tags[0].slug},author:${author}`,
            limit: 100
        });
        assert.ok(either.length >= byAuthor.length);
    });

    test('filter featured:true', async () => {
        const posts = await api.posts.browse({filter: 'featured:true', limit: 100});
        for (const post of posts) {
            assert.equal(post.featured, true, `${post.slug} is not featured`);
        }
        if (seed.featured_slug) {
            assert.ok(posts.some(post => post.slug === seed.featured_slug));
        }
        const others = await api.posts.browse({filter: 'featured:false', limit: 100});
        assert.ok(others.every(post => post.featured === false));
    });

    test('filter published_at after a date', async () => {
        const all = await api.posts.browse({limit: 100});
        const dates = all.map(post => post.published_at).sort();
        const cutoff = dates[Math.floor(dates.length / 2)];
        const posts = await api.posts.browse({filter: `published_at:>'${cutoff}'`, limit: 100});
        for (const post of posts) {
            assert.ok(Date.parse(post.published_at) > Date.parse(cutoff), `${post.published_at} <= ${cutoff}`);
        }
        const expected = all.filter(post => Date.parse(post.published_at) > Date.parse(cutoff));
        assert.equal(posts.length, expected.length);
    });

    test('no post is newer than its own published_at, as incremental syncs ask', async () => {
        // Static-site builders and sync scripts remember the newest published_at they
        // have seen and ask for posts after it: they must not get that post again.
        const [newest] = await api.posts.browse({limit: 1});
        const newer = await api.posts.browse({filter: `published_at:>'${newest.published_at}'`});
        assert.deepEqual(newer.map(post => post.slug), []);
    });

    test('a post is found by its own published_at', async () => {
        const [newest] = await api.posts.browse({limit: 1});
        const same = await api.posts.browse({filter: `published_at:'${newest.published_at}'`});
        assert.deepEqual(same.map(post => post.id), [newest.id]);
        const upTo = await api.posts.browse({filter: `published_at:<='${newest.published_at}'`, limit: 100});
        assert.ok(upTo.some(post => post.id === newest.id), 'published_at:<= its own value misses it');
    });

    test('fields returns only the fields asked for', async () => {
        const posts = await api.posts.browse({fields: 'title,slug,url', limit: 3});
        for (const post of posts) {
            assert.deepEqual(Object.keys(post).sort(), ['slug', 'title', 'url']);
        }
    });

    test('formats plaintext', async () => {
        const [post] = await api.posts.browse({formats: 'plaintext', filter: `id:${sample.id}`});
        assert.equal(post.id, sample.id);
        assert.equal(typeof post.plaintext, 'string');
        assert.ok(post.plaintext.length > 0);
        assert.ok(!/<[a-z]/i.test(post.plaintext), 'plaintext holds HTML tags');
    });

    test('an unparsable filter is a BadRequestError', async () => {
        const error = await rejectsWith(api.posts.browse({filter: 'tag:(news'}), 'BadRequestError');
        assert.equal(error.response.status, 400);
    });

    test('read by id and by slug give the same post', async () => {
        const byId = await api.posts.read({id: sample.id}, {include: 'tags,authors'});
        const bySlug = await api.posts.read({slug: sample.slug}, {include: 'tags,authors'});
        assert.equal(byId.id, sample.id);
        assert.deepEqual(bySlug, byId);
        assert.deepEqual(byId.tags.map(t => t.id), sample.tags.map(t => t.id));
    });

    test('an unknown slug or id rejects with a NotFoundError', async () => {
        const error = await rejectsWith(api.posts.read({slug: 'no-such-post-anywhere'}), 'NotFoundError');
        assert.equal(error.response.status, 404);
        await rejectsWith(api.posts.read({id: '0123456789abcdef01234567'}), 'NotFoundError');
    });

    test('a members-only post is cut for a visitor', {skip: !seed.gated_slug && 'no gated post seeded'}, async () => {
        const post = await api.posts.read({slug: seed.gated_slug}, {formats: 'html,plaintext'});
        assert.notEqual(post.visibility, 'public');
        assert.equal(post.access, false);
        assert.ok(!post.html.includes(seed.gated_marker), 'the members-only words leaked into html');
        assert.ok(!post.plaintext.includes(seed.gated_marker), 'the members-only words leaked into plaintext');
        assert.ok(!(post.excerpt || '').includes(seed.gated_marker), 'the members-only words leaked into the excerpt');
    });
});

describe('pages', () => {
    test('browse and read by slug', async () => {
        const pages = await api.pages.browse({limit: 15});
        assert.ok(pages.length >= 1, 'the site needs at least one published page');
        assert.ok(pages.meta.pagination);
        const [first] = pages;
        assert.match(first.id, OBJECT_ID);
        assert.ok(isAbsoluteUrl(first.url));
        assert.ok('show_title_and_feature_image' in first);
        const page = await api.pages.read({slug: first.slug});
        assert.equal(page.id, first.id);
        const byId = await api.pages.read({id: first.id});
        assert.equal(byId.slug, first.slug);
        if (seed.page_slug) {
            assert.equal((await api.pages.read({slug: seed.page_slug})).slug, seed.page_slug);
        }
    });

    test('a post is not a page', async () => {
        await rejectsWith(api.pages.read({slug: sample.slug}), 'NotFoundError');
    });
});

describe('authors', () => {
    test('browse with count.posts, read by slug and id', async () => {
        const authors = await api.authors.browse({include: 'count.posts', limit: 100});
        const author = authors.find(a => a.id === sample.authors[0].id);
        assert.ok(author, `${sample.authors[0].slug} is missing from the authors`);
        assert.ok(Number.isInteger(author.count.posts) && author.count.posts >= 1);
        assert.ok(isAbsoluteUrl(author.url));
        for (const secret of ['email', 'password', 'status']) {
            assert.ok(!(secret in author), `the Content API must not send an author's ${secret}`);
        }
        assert.equal((await api.authors.read({slug: author.slug})).id, author.id);
        assert.equal((await api.authors.read({id: author.id})).slug, author.slug);
        await rejectsWith(api.authors.read({slug: 'nobody-by-this-name'}), 'NotFoundError');
    });
});

describe('tags', () => {
    test('browse public tags with count.posts, read by slug and id', async () => {
        const tags = await api.tags.browse({include: 'count.posts', filter: 'visibility:public', limit: 100});
        assert.ok(tags.length >= 1);
        for (const tag of tags) {
            assert.equal(tag.visibility, 'public');
            assert.ok(Number.isInteger(tag.count.posts));
        }
        const tag = tags.find(t => t.id === sample.tags[0].id) || tags[0];
        assert.equal((await api.tags.read({slug: tag.slug})).id, tag.id);
        assert.equal((await api.tags.read({id: tag.id})).slug, tag.slug);
        await rejectsWith(api.tags.read({slug: 'no-such-tag-anywhere'}), 'NotFoundError');
    });
});

describe('site-wide resources', () => {
    test('settings is one object', async () => {
        const settings = await api.settings.browse();
        assert.ok(!Array.isArray(settings));
        assert.equal(typeof settings.title, 'string');
        assert.ok(isAbsoluteUrl(settings.url));
        assert.equal(typeof settings.timezone, 'string');
        assert.ok(Array.isArray(settings.navigation));
        assert.equal(typeof settings.members_enabled, 'boolean');
    });

    test('tiers with prices', async () => {
        const tiers = await api.tiers.browse({include: 'monthly_price,yearly_price'});
        assert.ok(tiers.some(tier => tier.type === 'free'), 'there is no free tier');
        const paid = tiers.filter(tier => tier.type === 'paid');
        assert.ok(paid.length >= 1, 'there is no paid tier');
        for (const tier of paid) {
            assert.ok(Number.isInteger(tier.monthly_price), `${tier.slug} has no monthly_price`);
            assert.ok(Number.isInteger(tier.yearly_price), `${tier.slug} has no yearly_price`);
            assert.match(tier.currency, /^[A-Z]{3}$/);
        }
        if (seed.tier_slug) {
            assert.ok(tiers.some(tier => tier.slug === seed.tier_slug));
        }
    });

    test('newsletters', async () => {
        const newsletters = await api.newsletters.browse();
        assert.ok(newsletters.length >= 1);
        for (const newsletter of newsletters) {
            assert.match(newsletter.id, OBJECT_ID);
            assert.equal(typeof newsletter.name, 'string');
            assert.equal(typeof newsletter.slug, 'string');
            assert.ok(['members', 'paid'].includes(newsletter.visibility));
        }
        if (seed.newsletter_slug) {
            assert.ok(newsletters.some(n => n.slug === seed.newsletter_slug));
        }
    });
});

describe('older clients', () => {
    // Apps built with a v3 or v4 client call /ghost/api/v4/content/...; Ghost still answers.
    for (const version of ['v3', 'v4', 'v5.0']) {
        test(`a client configured for ${version}`, async () => {
            const old = new GhostContentAPI({url, key: process.env.CONTENT_KEY, version});
            const posts = await old.posts.browse({limit: 2, include: 'tags'});
            assert.ok(posts.length >= 1);
            assert.equal(posts.meta.pagination.limit, 2);
            const post = await old.posts.read({slug: sample.slug});
            assert.equal(post.id, sample.id);
        });
    }
});

describe('keys', () => {
    test('an unknown content key is an UnauthorizedError', async () => {
        const stranger = contentApi('0123456789abcdef0123456789');
        const error = await rejectsWith(stranger.posts.browse(), 'UnauthorizedError');
        assert.equal(error.response.status, 401);
        assert.equal(error.code, 'UNKNOWN_CONTENT_API_KEY');
    });

    test('answers carry Ghost\'s headers', async () => {
        const response = await fetch(`${url}/ghost/api/content/posts/?key=${process.env.CONTENT_KEY}&limit=1`, {
            headers: {'Accept-Version': 'v6.0'}
        });
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-version'), /^v\d+\.\d+$/);
        assert.match(response.headers.get('vary'), /Accept-Version/);
        assert.equal(response.headers.get('access-control-allow-origin'), '*');
    });
});
