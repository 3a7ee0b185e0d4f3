/**
 * (9) Every transport, one workload: our Client ↔ our server over in-memory, stdio, Streamable
 * HTTP (JSON and SSE responses), WebSocket, TCP, TCP+TLS and legacy HTTP+SSE; tools/call echo,
 * sequential and 64 in flight. The server runs in a child process for all but in-memory (a
 * fresh child per run). The sdk column is the SDK's client ↔ the SDK's server where the SDK has
 * that transport; the SDK has a WebSocket client but no server, so its websocket cell is the
 * SDK client against our server (labelled); TCP and TLS have no SDK counterpart ('—').
 */
import { ourHttp, ourMemory, ourStdio, sdkHttp, sdkMemory, sdkStdio, type Driver } from '../lib/clients.js';
import type { BenchConfig } from '../lib/config.js';
import { measureCalls } from '../lib/measure-calls.js';
import type { Row } from '../lib/report.js';
import { interleave, toRows, type Measure } from '../lib/runs.js';
import { startHttpFixture, type FixtureName } from '../lib/spawn.js';
import { ourLegacySse, ourTcp, ourTls, ourWs, sdkLegacySse, sdkWsClientToOurServer, withChild } from '../lib/transport-drivers.js';
import { selfSignedCert, type TestCert } from '../../src/transports/tcp/fixtures/cert.js';
import type { Scenario } from './scenario.js';

/** An HTTP fixture child that lives as long as the driver connected to it. */
async function overHttp(fixture: FixtureName, args: string[], open: (url: string) => Promise<Driver>): Promise<Driver> {
  const child = await startHttpFixture(fixture, args);
  return withChild({ ...child, address: child.url }, open);
}

interface Entry {
  name: string;
  ours: () => Promise<Driver>;
  sdk?: () => Promise<Driver>;
}

function entries(cert: () => TestCert): Entry[] {
  return [
    { name: 'in-memory', ours: () => ourMemory(), sdk: () => sdkMemory() },
    { name: 'stdio', ours: () => ourStdio(), sdk: () => sdkStdio() },
    { name: 'streamable-http json', ours: () => overHttp('ours-http', ['--json'], ourHttp), sdk: () => overHttp('sdk-http', ['--json'], sdkHttp) },
    { name: 'streamable-http sse', ours: () => overHttp('ours-http', [], ourHttp), sdk: () => overHttp('sdk-http', [], sdkHttp) },
    { name: 'websocket (sdk = SDK client → our server)', ours: ourWs, sdk: sdkWsClientToOurServer },
    { name: 'tcp', ours: ourTcp },
    { name: 'tcp+tls', ours: () => ourTls(cert()) },
    { name: 'legacy http+sse', ours: ourLegacySse, sdk: sdkLegacySse },
  ];
}

/** 8 transports × up to 2 sides: the loops get config.ts's shorter transportsLoopMs. */
function budget(cfg: BenchConfig): BenchConfig {
  return { ...cfg, loopMs: cfg.transportsLoopMs };
}

export const transportsScenario: Scenario = {
  name: 'transports',
  title: 'every transport, our Client ↔ our server (and the SDK where it has the transport), tools/call echo',
  async run(full) {
    const cfg = budget(full);
    let cert: TestCert | undefined;
    const rows: Row[] = [];
    for (const e of entries(() => (cert ??= selfSignedCert()))) {
      const measures: { ours: Measure; sdk?: Measure } = { ours: () => measureCalls(e.ours, cfg) };
      const sdk = e.sdk;
      if (sdk) measures.sdk = () => measureCalls(sdk, cfg);
      const outcome = await interleave(cfg.runs, measures);
      rows.push(
        ...toRows(
          'transports',
          [
            { key: 'seqRate', metric: `${e.name} sequential`, unit: 'calls/s', better: 'higher' },
            { key: 'seqP50', metric: `${e.name} sequential p50`, unit: 'ms', better: 'lower' },
            { key: 'seqP99', metric: `${e.name} sequential p99`, unit: 'ms', better: 'lower' },
            { key: 'parRate', metric: `${e.name} 64 in flight`, unit: 'calls/s', better: 'higher' },
            { key: 'parP50', metric: `${e.name} 64 in flight p50`, unit: 'ms', better: 'lower' },
            { key: 'parP99', metric: `${e.name} 64 in flight p99`, unit: 'ms', better: 'lower' },
          ],
          outcome,
        ),
      );
    }
    const notes = [
      'transports: server in a child process for all but in-memory; sdk "—" = the SDK has no such transport (TCP, TLS); its websocket cell is the SDK WebSocket client against our WebSocket server (the SDK ships no WebSocket server)',
    ];
    if (cfg.loopMs !== full.loopMs) notes.push(`transports: ${cfg.runs} run(s) of ${cfg.loopMs} ms loops in ${cfg.mode} mode (8 transports × 2 sides)`);
    return { rows, notes };
  },
};
