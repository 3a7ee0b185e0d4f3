export type { SessionState, SessionStore, EventStore, EventStoreStats, EventId, MessageBus, AppendOptions, EventSink, StreamFollow, NodeDirectory, StoreProbe, TaskStore, TaskOutcome } from './types.js';
export { isTerminal } from './types.js';
export { MemoryTaskStore } from './memory-task-store.js';
export { MemorySessionStore } from './memory-session-store.js';
export { MemoryEventStore, type MemoryEventStoreOptions } from './memory-event-store.js';
export { MemoryBus } from './memory-bus.js';
