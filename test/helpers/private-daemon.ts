// The private libvirtd lives in examples/lib/private-daemon.ts, so the quick start can run in one
// without importing test/; tests keep importing it from here.
export * from '../../examples/lib/private-daemon.js';
