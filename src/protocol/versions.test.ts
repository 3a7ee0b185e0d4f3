import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, isSupportedVersion, negotiateVersion, versionAllowsBatch } from './versions.js';

describe('protocol versions', () => {
  it('supports the four published revisions, newest first', () => {
    assert.equal(LATEST_PROTOCOL_VERSION, '2025-11-25');
    assert.deepEqual([...SUPPORTED_PROTOCOL_VERSIONS], ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);
  });

  it('echoes each supported version the client requests', () => {
    for (const v of SUPPORTED_PROTOCOL_VERSIONS) {
      assert.equal(negotiateVersion(v), v);
      assert.equal(isSupportedVersion(v), true);
    }
  });

  it('answers an unknown or malformed version with the latest', () => {
    for (const v of ['1999-01-01', '2026-01-01', '', 20251125, undefined, null]) {
      assert.equal(negotiateVersion(v), LATEST_PROTOCOL_VERSION, String(v));
    }
    assert.equal(isSupportedVersion('1999-01-01'), false);
  });

  it('allows JSON-RPC batches only for 2025-03-26', () => {
    assert.equal(versionAllowsBatch('2025-03-26'), true);
    for (const v of ['2025-11-25', '2025-06-18', '2024-11-05', undefined]) assert.equal(versionAllowsBatch(v), false, String(v));
  });
});
