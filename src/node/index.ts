// Node-only adapters of anharmonic-csp ('anharmonic-csp/node'): the kernel module, moyo, files,
// potential files and SSCHA run folders read from and written to disk, i-PI sockets.
export * from './kernels.js';
export * from './moyo.js';
export * from './files.js';
export * from './potentials.js';
export * from './sscha-store.js';
export * from './ipi-server.js';
export * from './ipi-client.js';
export * from './onnx.js';
export * from './mlip.js';
export * from './workers.js';
export * from './search-store.js';
