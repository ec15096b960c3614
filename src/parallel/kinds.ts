// Every calculator kind a worker can build: importing this module registers them. The built-in
// potentials register in spec.ts; add one import line here for a new kind (MLIP JSON, ONNX).
import './spec.js';
