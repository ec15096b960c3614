// The page (src/web/index.html): pick a structure and a potential, run harmonic phonons or the SSCHA
// in a Web Worker (driver-worker.ts, which evaluates configurations on a pool of evaluation
// workers), and show live progress, interactive plots and a structure view. Nothing is computed on
// a server: every URL is relative to this module, so any static host of the package folder works.
import { readStructure } from '../io/index.js';
import { structureToData, type CalculatorSpec, type StructureData } from '../parallel/spec.js';
import type { FromDriver, ToDriver, WebAssets } from './driver-worker.js';
import type { HarmonicInputs, HarmonicResult, JobProgress, SschaInputs, SschaJobResult } from './pipeline.js';
import { mountDispersion, mountDos, mountFreeEnergy } from './plots.js';
import { PRESETS, presetSpec, specFromFile } from './potentials.js';
import { mountStructureView } from './structure-view.js';
import type { StepRecord } from '../sscha/minimize.js';

const root = new URL('../../../', import.meta.url);
export const ASSETS: WebAssets = {
  kernels: new URL('build/anharmonic.wasm', root).href,
  moyoJs: new URL('node_modules/@spglib/moyo-wasm/moyo_wasm.js', root).href,
  moyoWasm: new URL('node_modules/@spglib/moyo-wasm/moyo_wasm_bg.wasm', root).href,
  onnxRuntime: new URL('node_modules/onnxruntime-web/dist/ort.wasm.min.mjs', root).href,
};

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page: #${id} is missing`);
  return el as T;
};

interface PageState {
  structure: { text: string; fileName: string } | null;
  potential: { spec: CalculatorSpec; label: string } | null;
  last: { harmonic?: HarmonicResult; sscha?: SschaJobResult; inputs?: HarmonicInputs | SschaInputs; ms?: number; threads?: number };
}

const state: PageState = { structure: null, potential: null, last: {} };
(window as unknown as { anharm: unknown }).anharm = state;

const body = document.body;
const setState = (s: 'loading' | 'ready' | 'running' | 'done' | 'error') => (body.dataset.state = s);
const status = (text: string, kind: 'info' | 'error' = 'info') => {
  const el = $('status');
  el.textContent = text;
  el.className = kind;
};
const log = (text: string) => {
  const el = $('log');
  const line = document.createElement('div');
  line.textContent = text;
  el.appendChild(line);
  el.scrollTop = el.scrollHeight;
};

// ---- the driver worker
let driver: Worker;
let nextId = 1;
let running: number | null = null;
const pending = new Map<number, (m: FromDriver) => void>();

function startDriver(): Promise<void> {
  driver = new Worker(new URL('./driver-worker.js', import.meta.url), { type: 'module' });
  return new Promise((ok, bad) => {
    driver.onmessage = (e: MessageEvent<FromDriver>) => {
      const m = e.data;
      if (m.type === 'ready') {
        $('env').textContent = `${navigator.hardwareConcurrency ?? '?'} logical cores · calculator kinds: ${m.kinds.join(', ')} · cross-origin isolated: ${m.crossOriginIsolated ? 'yes' : 'no (not needed)'}`;
        ok();
      } else if (m.type === 'init-failed') bad(new Error(m.message));
      else if ('id' in m) pending.get(m.id)?.(m);
    };
    driver.onerror = (e) => bad(new Error(e.message || 'the compute worker failed to load'));
    driver.postMessage({ type: 'init', assets: ASSETS } satisfies ToDriver);
  });
}

function request(msg: ToDriver & { id: number }, onMessage: (m: FromDriver) => boolean): void {
  pending.set(msg.id, (m) => {
    if (onMessage(m)) pending.delete(msg.id);
  });
  driver.postMessage(msg);
}

// ---- structure
const view = mountStructureView($('structure-view'));

function loadStructure(text: string, fileName: string): void {
  let data: StructureData;
  try {
    data = structureToData(readStructure(text, fileName));
  } catch (e) {
    status(`${fileName}: ${(e as Error).message.split('\n')[0]}`, 'error');
    return;
  }
  state.structure = { text, fileName };
  view.update(data);
  $('structure-info').textContent = `${fileName}: ${data.species.length} atoms…`;
  const id = nextId++;
  request({ type: 'inspect', id, structure: { text, fileName } }, (m) => {
    if (m.type !== 'inspected') return false;
    const info = m.info as { formula: string; natoms: number; spaceGroup: { number: number; symbol: string }; lattice: string } | undefined;
    $('structure-info').textContent = info
      ? `${fileName}: ${info.formula}, ${info.natoms} atom${info.natoms === 1 ? '' : 's'}, space group ${info.spaceGroup.symbol} (${info.spaceGroup.number}), ${info.lattice} lattice`
      : `${fileName}: ${m.error}`;
    return true;
  });
  updateButtons();
}

async function readFileInput(file: File): Promise<void> {
  loadStructure(await file.text(), file.name);
}

// ---- potentials
const potentialSelect = $<HTMLSelectElement>('potential');
for (const p of PRESETS) potentialSelect.add(new Option(p.label, p.id));
const fileOption = new Option('(loaded file)', 'file');
fileOption.disabled = true;
potentialSelect.add(fileOption);
let filePotential: { spec: CalculatorSpec; label: string } | null = null;

function choosePotential(): void {
  const id = potentialSelect.value;
  if (id === 'file') state.potential = filePotential;
  else {
    const p = PRESETS.find((q) => q.id === id)!;
    state.potential = { spec: presetSpec(p), label: p.label };
  }
  $('potential-info').textContent = state.potential ? `engine: ${state.potential.spec.kind} (${state.potential.label})` : '';
  updateButtons();
}

function useExample(): void {
  const p = PRESETS.find((q) => q.id === potentialSelect.value) ?? PRESETS[0];
  loadStructure(p.example.text, p.example.fileName);
  (['sc1', 'sc2', 'sc3'] as const).forEach((id, k) => ($<HTMLInputElement>(id).value = String(p.supercell[k])));
}

// ---- runs
function numberField(id: string, opts: { integer?: boolean; min?: number; max?: number; even?: boolean } = {}): number {
  const el = $<HTMLInputElement>(id);
  const v = Number(el.value);
  const label = el.labels?.[0]?.textContent?.trim() ?? id;
  if (el.value.trim() === '' || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v)) || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max) || (opts.even && v % 2 !== 0)) {
    throw new Error(`${label}: expected ${opts.even ? 'an even ' : opts.integer ? 'an ' : 'a '}${opts.integer || opts.even ? 'integer' : 'number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` ≤ ${opts.max}` : ''}, got "${el.value}"`);
  }
  return v;
}

function harmonicInputs(): HarmonicInputs {
  if (!state.structure) throw new Error('load a structure first (drop a CIF/POSCAR or use the example)');
  if (!state.potential) throw new Error('choose a potential');
  const supercell = (['sc1', 'sc2', 'sc3'] as const).map((id) => numberField(id, { integer: true, min: 1, max: 20 })) as [number, number, number];
  return { structure: state.structure, potential: state.potential.spec, supercell };
}

function sschaInputs(): SschaInputs {
  return {
    ...harmonicInputs(),
    temperature: numberField('temperature', { min: 0 }),
    configs: numberField('configs', { integer: true, min: 2, even: true }),
    seed: numberField('seed', { integer: true, min: 0 }),
    maxPopulations: numberField('max-populations', { integer: true, min: 1, max: 1000 }),
  };
}

const progressBar = $<HTMLProgressElement>('progress');
let liveHistory: StepRecord[] = [];
let liveNatoms = 1;
let redraw = false;

function onProgress(p: JobProgress): void {
  if (p.phase === 'structure') log(`structure: ${p.message}`);
  else if (p.phase === 'displacements') {
    progressBar.max = p.total;
    progressBar.value = p.done;
    status(`harmonic force constants: ${p.done} / ${p.total} displaced supercells`);
  } else if (p.phase === 'population') {
    progressBar.max = p.total;
    progressBar.value = p.done;
    status(`population ${p.population}: ${p.done} / ${p.total} configurations evaluated`);
  } else if (p.phase === 'step') {
    const r = p.record;
    liveHistory.push(r);
    status(`population ${r.population}, step ${r.step}: F = ${((1000 * r.F) / liveNatoms).toFixed(4)} ± ${((1000 * r.Ferr) / liveNatoms).toFixed(4)} meV/atom, N_eff/N = ${r.nEffRatio.toFixed(3)}`);
    if (!redraw) {
      redraw = true;
      requestAnimationFrame(() => {
        redraw = false;
        mountFreeEnergy($('plot-free-energy'), liveHistory, liveNatoms, 'SSCHA free energy (live)');
      });
    }
  } else if (p.phase === 'bands') status(p.message);
}

function run(job: 'harmonic' | 'sscha'): void {
  let inputs: HarmonicInputs | SschaInputs;
  let threads: number;
  try {
    inputs = job === 'harmonic' ? harmonicInputs() : sschaInputs();
    threads = numberField('threads', { integer: true, min: 0, max: 64 });
  } catch (e) {
    status((e as Error).message, 'error');
    return;
  }
  const id = nextId++;
  running = id;
  setState('running');
  updateButtons();
  progressBar.removeAttribute('value');
  liveHistory = [];
  liveNatoms = Math.max(1, inputs.supercell[0] * inputs.supercell[1] * inputs.supercell[2] * (state.structure ? readStructure(state.structure.text, state.structure.fileName).natoms : 1));
  log(`${job === 'harmonic' ? 'harmonic phonons' : 'SSCHA'}: ${threads} evaluation worker${threads === 1 ? '' : 's'}, supercell ${inputs.supercell.join('×')}`);
  status('starting…');
  request({ type: 'run', id, job, inputs, threads } as ToDriver & { id: number }, (m) => {
    if (m.type === 'progress') {
      onProgress(m.progress);
      return false;
    }
    running = null;
    if (m.type === 'failed') {
      status(m.message, 'error');
      log(`failed: ${m.message}`);
      setState('error');
    } else if (m.type === 'done') {
      state.last = { ...state.last, inputs, ms: m.ms, threads: m.threads };
      if (job === 'harmonic') showHarmonic(m.result as HarmonicResult, m.ms);
      else showSscha(m.result as SschaJobResult, m.ms);
      progressBar.max = 1;
      progressBar.value = 1;
      setState('done');
    }
    updateButtons();
    return true;
  });
}

function stop(): void {
  if (running === null) return;
  pending.delete(running);
  running = null;
  driver.terminate();
  status('stopped; restarting the compute worker…');
  setState('loading');
  updateButtons();
  startDriver().then(
    () => {
      status('stopped');
      setState('ready');
      updateButtons();
    },
    (e) => status(String(e), 'error'),
  );
}

const fmt = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : '—');

function showHarmonic(r: HarmonicResult, ms: number): void {
  state.last.harmonic = r;
  const title = `${r.crystal.formula} ${r.crystal.spaceGroup.symbol}, supercell ${r.supercell.join('×')}`;
  mountDispersion($('plot-bands'), [{ label: 'harmonic', bands: r.bands, color: '#1f4e9c' }], { title: `Harmonic phonons — ${title}`, unit: 'THz' });
  mountDos($('plot-dos'), r.dos, `Phonon DOS — mesh ${r.mesh.join('×')}`);
  view.update(r.crystal.structure);
  $('harmonic-summary').innerHTML = `
    <tr><th>displaced supercells</th><td>${r.displacements}</td></tr>
    <tr><th>lowest frequency on the mesh</th><td>${fmt(r.lowestFrequency, 4)} THz${r.lowestFrequency < -1e-3 ? ' (imaginary: unstable)' : ''}</td></tr>
    <tr><th>zero-point energy</th><td>${fmt(r.zeroPointEnergy * 1000, 3)} meV/cell</td></tr>
    <tr><th>harmonic F(300 K)</th><td>${fmt(r.freeEnergy300 * 1000, 3)} meV/cell</td></tr>
    <tr><th>time</th><td>${(ms / 1000).toFixed(2)} s</td></tr>`;
  status(`harmonic phonons done in ${(ms / 1000).toFixed(2)} s`);
  log(`harmonic phonons: ${r.displacements} displacements, ${(ms / 1000).toFixed(2)} s`);
}

function showSscha(r: SschaJobResult, ms: number): void {
  state.last.sscha = r;
  const title = `${r.crystal.formula}, ${r.supercell.join('×')}, T = ${r.temperature} K`;
  mountFreeEnergy($('plot-free-energy'), r.history, r.natomsSupercell, `SSCHA free energy — ${title}`);
  mountDispersion(
    $('plot-sscha-bands'),
    [
      { label: 'harmonic', bands: r.harmonicBands, color: '#7f7f7f', dash: '5 3' },
      { label: 'SSCHA auxiliary', bands: r.auxiliaryBands, color: '#1f4e9c' },
    ],
    { title: `Phonons: harmonic vs SSCHA — ${title}`, unit: 'cm-1' },
  );
  view.update(r.crystal.structure, r.supercell);
  const low = r.frequenciesCm.length ? r.frequenciesCm[0] : NaN;
  $('sscha-summary').innerHTML = `
    <tr><th>free energy F</th><td>${fmt(r.FperCell, 6)} ± ${fmt(r.FperCellErr, 6)} eV/cell (${fmt(r.FperAtom * 1000, 3)} ± ${fmt(r.FperAtomErr * 1000, 3)} meV/atom)</td></tr>
    <tr><th>converged</th><td>${r.converged ? 'yes' : `no (${r.reason})`}, ${r.populations} population${r.populations === 1 ? '' : 's'}, ${r.history.length} steps</td></tr>
    <tr><th>lowest auxiliary mode</th><td>${fmt(low, 2)} ± ${fmt(r.frequencyErrCm[0] ?? NaN, 2)} cm⁻¹</td></tr>
    <tr><th>start</th><td>${r.start.flipped + r.start.raised ? `${r.start.flipped} modes flipped, ${r.start.raised} raised` : 'harmonic force constants'}</td></tr>
    <tr><th>time</th><td>${(ms / 1000).toFixed(2)} s with ${state.last.threads} evaluation worker${state.last.threads === 1 ? '' : 's'}</td></tr>`;
  status(`SSCHA done in ${(ms / 1000).toFixed(2)} s: F = ${fmt(r.FperCell, 6)} ± ${fmt(r.FperCellErr, 6)} eV/cell`);
  log(`SSCHA: ${r.converged ? 'converged' : 'not converged'}, ${r.populations} populations, ${(ms / 1000).toFixed(2)} s`);
}

function updateButtons(): void {
  const busy = running !== null || body.dataset.state === 'loading';
  const ready = !!state.structure && !!state.potential && !busy;
  $<HTMLButtonElement>('run-harmonic').disabled = !ready;
  $<HTMLButtonElement>('run-sscha').disabled = !ready;
  $<HTMLButtonElement>('stop').disabled = running === null;
}

// ---- wiring
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f) void readFileInput(f);
});
$<HTMLInputElement>('structure-file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) void readFileInput(f);
});
$('use-example').addEventListener('click', useExample);
potentialSelect.addEventListener('change', choosePotential);
$<HTMLInputElement>('potential-file').addEventListener('change', async (e) => {
  const files = Array.from((e.target as HTMLInputElement).files ?? []);
  if (!files.length) return;
  const main = files.find((f) => /\.(json|onnx)$/i.test(f.name)) ?? files[0];
  const extra: Record<string, string> = {};
  for (const f of files) if (f !== main) extra[f.name] = await f.text();
  try {
    filePotential = { spec: specFromFile(main.name, await main.arrayBuffer(), extra), label: main.name };
    fileOption.text = `file: ${main.name}`;
    fileOption.disabled = false;
    potentialSelect.value = 'file';
    choosePotential();
  } catch (err) {
    status((err as Error).message, 'error');
  }
});
$('run-harmonic').addEventListener('click', () => run('harmonic'));
$('run-sscha').addEventListener('click', () => run('sscha'));
$('stop').addEventListener('click', stop);
$<HTMLInputElement>('threads').value = String(Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)));

setState('loading');
choosePotential();
updateButtons();
status('loading the WebAssembly kernels…');
startDriver().then(
  () => {
    setState('ready');
    status('ready: load a structure (or the example), choose a potential, then run');
    updateButtons();
  },
  (e) => {
    setState('error');
    status(`could not start: ${(e as Error).message}`, 'error');
  },
);
