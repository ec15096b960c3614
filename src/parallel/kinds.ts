// Every calculator kind a worker can build: importing this module registers them. The built-in
// potentials register in spec.ts; the MLIP model files (src/mlip/model.ts) and ONNX models
// (src/calculators/onnx.ts) here. Both keep the determinism contract of spec.ts: with
// `independent` their neighbour lists have skin 0 (rebuilt from each configuration alone).
import { PotentialError } from '../calculators/builtin.js';
import { OnnxCalculator, onnxRuntimeWeb, type OnnxRuntime, type OrtModule } from '../calculators/onnx.js';
import { ModelFileError, MtpModel, isMlipModelJson, type MlipCalculatorOptions } from '../mlip/model.js';
import { MtpBasis, MtpSpecError } from '../mlip/mtp.js';
import { registerCalculatorKind, type CalculatorSpec } from './spec.js';

/** A trained MLIP: the parsed model file (or its text). */
export interface MlipSpec extends CalculatorSpec {
  kind: 'mlip';
  model: unknown;
  /** Compute the extrapolation grade (result info.grade; default: when the model has an active set). */
  grade?: boolean;
  /** Refuse configurations whose extrapolation grade exceeds this. */
  maxGrade?: number;
}

/** An ONNX model following docs/onnx.md, run by onnxruntime-web (one thread: deterministic). */
export interface OnnxSpec extends CalculatorSpec {
  kind: 'onnx';
  /** The .onnx file's bytes (copied to every worker). */
  model: ArrayBuffer | ArrayBufferView;
  /** For models without "cutoff" / "species" metadata. */
  cutoff?: number;
  species?: string[];
  /**
   * URL of onnxruntime-web's ES module (e.g. …/onnxruntime-web/dist/ort.wasm.min.mjs). Needed in Web
   * Workers, which have no import maps; without it the bare name "onnxruntime-web" is imported (Node).
   */
  ortModule?: string;
  /** URL prefix where onnxruntime-web finds its .wasm files (default: next to its module). */
  ortWasmPaths?: string;
}

registerCalculatorKind('mlip', async (k, spec, { independent }) => {
  const s = spec as MlipSpec;
  const source = s.source ?? 'MLIP model';
  let obj = s.model;
  if (typeof obj === 'string') {
    try {
      obj = JSON.parse(obj);
    } catch (e) {
      throw new PotentialError(`${source}: not a JSON model file (${(e as Error).message})`);
    }
  }
  if (!isMlipModelJson(obj)) throw new PotentialError(`${source}: not an MLIP model file (its "format" must be "anharmonic-csp/mlip")`);
  const opts: MlipCalculatorOptions = {};
  if (s.grade !== undefined) {
    if (typeof s.grade !== 'boolean') throw new PotentialError(`${source}: grade must be true or false`);
    opts.grade = s.grade;
  }
  if (s.maxGrade !== undefined) {
    if (typeof s.maxGrade !== 'number' || !(s.maxGrade > 0)) throw new PotentialError(`${source}: maxGrade must be a positive number`);
    opts.maxGrade = s.maxGrade;
  }
  let model: MtpModel;
  try {
    model = MtpModel.fromJSON(k, obj, source);
    if (independent) {
      // the MTP keeps a Verlet list between configurations: rebuild the basis with skin 0
      const basis = (obj as { basis: { type?: unknown } }).basis;
      if (!(model.basis instanceof MtpBasis)) {
        model.basis.dispose?.();
        throw new PotentialError(`${source}: basis type ${JSON.stringify(basis.type)} cannot be evaluated configuration by configuration (only "mtp-basis")`);
      }
      model.basis.dispose();
      model = new MtpModel(MtpBasis.fromJSON(k, basis, { source: `${source}: basis`, skin: 0 }), model.theta, model.activeSet, model.training, model.fitReport);
    }
    return model.calculator(k, opts);
  } catch (e) {
    if (e instanceof ModelFileError || e instanceof MtpSpecError || e instanceof RangeError) throw new PotentialError(e.message);
    throw e;
  }
});

registerCalculatorKind('onnx', async (k, spec, { independent }) => {
  const s = spec as OnnxSpec;
  const source = s.source ?? 'model.onnx';
  const m = s.model;
  const bytes = m instanceof ArrayBuffer ? new Uint8Array(m) : ArrayBuffer.isView(m) ? new Uint8Array(m.buffer, m.byteOffset, m.byteLength) : null;
  if (!bytes) throw new PotentialError(`${source}: the ONNX spec needs the model file's bytes ("model": ArrayBuffer or Uint8Array)`);
  if (s.ortModule !== undefined && typeof s.ortModule !== 'string') throw new PotentialError(`${source}: ortModule must be a URL`);
  let runtime: OnnxRuntime;
  if (s.ortModule !== undefined || s.ortWasmPaths !== undefined) {
    let module: OrtModule | undefined;
    if (s.ortModule !== undefined) {
      try {
        module = (await import(/* @vite-ignore */ s.ortModule)) as OrtModule;
      } catch (e) {
        throw new PotentialError(`${source}: cannot import onnxruntime-web from ${s.ortModule} (${(e as Error).message})`);
      }
    }
    runtime = await onnxRuntimeWeb({ module, wasmPaths: s.ortWasmPaths });
  } else {
    runtime = await onnxRuntimeWeb();
  }
  return OnnxCalculator.create(k, bytes, {
    source,
    runtime,
    cutoff: s.cutoff,
    species: Array.isArray(s.species) ? s.species : undefined,
    ...(independent ? { skin: 0 } : {}),
  });
});
