import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptsJsonAndSse, acceptsSse, isJsonContentType } from './http.js';

describe('media type checks', () => {
  it('requires both JSON and SSE in a POST Accept header, honouring wildcards and parameters', () => {
    assert.equal(acceptsJsonAndSse('application/json, text/event-stream'), true);
    assert.equal(acceptsJsonAndSse('text/event-stream;q=0.9, application/json;q=1'), true);
    assert.equal(acceptsJsonAndSse('*/*'), true);
    assert.equal(acceptsJsonAndSse('application/*, text/*'), true);
    assert.equal(acceptsJsonAndSse('application/json'), false);
    assert.equal(acceptsJsonAndSse('text/event-stream'), false);
    assert.equal(acceptsJsonAndSse(undefined), false);
  });

  it('requires text/event-stream for GET', () => {
    assert.equal(acceptsSse('text/event-stream'), true);
    assert.equal(acceptsSse('TEXT/EVENT-STREAM'), true);
    assert.equal(acceptsSse('application/json'), false);
  });

  it('recognises application/json with or without a charset', () => {
    assert.equal(isJsonContentType('application/json'), true);
    assert.equal(isJsonContentType('Application/JSON; charset=utf-8'), true);
    assert.equal(isJsonContentType('application/jsonp'), false);
    assert.equal(isJsonContentType('text/plain'), false);
    assert.equal(isJsonContentType(undefined), false);
  });
});
