// The network test bed lives in examples/lib/net-bed.ts, so the quick start can run in one
// without importing test/; tests keep importing it from here.
export * from '../../examples/lib/net-bed.js';
