import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostAllowed, hostnameOf, originAllowed } from './origin.js';

describe('DNS rebinding checks', () => {
  it('extracts the hostname from Host values with ports and IPv6 literals', () => {
    assert.equal(hostnameOf('LocalHost:8080'), 'localhost');
    assert.equal(hostnameOf('[::1]:3000'), '[::1]');
    assert.equal(hostnameOf('example.com'), 'example.com');
  });

  it('accepts loopback hosts, listed hosts, and nothing else', () => {
    assert.equal(hostAllowed('127.0.0.1:1234', true, undefined), true);
    assert.equal(hostAllowed('localhost', true, undefined), true);
    assert.equal(hostAllowed('[::1]:80', true, undefined), true);
    assert.equal(hostAllowed('evil.example.com', true, undefined), false);
    assert.equal(hostAllowed('localhost.evil.example.com', true, undefined), false);
    assert.equal(hostAllowed(undefined, true, undefined), false);
    assert.equal(hostAllowed('mcp.example.com:443', true, ['mcp.example.com']), true);
    assert.equal(hostAllowed('mcp.example.com:8443', true, ['mcp.example.com:443']), false);
  });

  it('accepts an absent Origin, loopback origins and listed origins; rejects others and "null"', () => {
    assert.equal(originAllowed(undefined, true, undefined), true);
    assert.equal(originAllowed('http://localhost:5173', true, undefined), true);
    assert.equal(originAllowed('http://[::1]:5173', true, undefined), true);
    assert.equal(originAllowed('http://evil.example.com', true, undefined), false);
    assert.equal(originAllowed('null', true, undefined), false);
    assert.equal(originAllowed('https://app.example.com', true, ['https://app.example.com']), true);
    assert.equal(originAllowed('http://app.example.com', true, ['https://app.example.com']), false);
  });
});
