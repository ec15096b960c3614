// The one WebAssembly module of anharmonic-csp. Every export works on f64 data addressed by
// pointers into linear memory (see src/wasm/ for the host side and docs/kernels.md for the contract).
export * from "./memory";
export * from "./linalg/gemm";
export * from "./linalg/tridiagonal";
export * from "./linalg/eigh";
export * from "./linalg/hermitian";
export * from "./linalg/cholesky";
export * from "./linalg/matfun";
export * from "./random/rng";
export * from "./neighbors/celllist";
export * from "./potentials/pair";
export * from "./potentials/stillinger-weber";
export * from "./potentials/bond-network";
export * from "./sscha/hessian";
export * from "./sscha/modes";
export * from "./sscha/sample";
export * from "./sscha/averages";
export * from "./mlip/mtp";
