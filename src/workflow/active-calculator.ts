// The MLIP as an SSCHA engine with active learning on every population (physics.md 6.6, 8 step 5):
// each batch (one population) is graded against the model's active set before it is evaluated; the
// configurations that enter the D-optimal set with a grade above the threshold are labelled by the
// reference, the model is retrained on everything labelled so far, and then the whole batch is
// evaluated with the new model. The SSCHA therefore never minimises on energies the model extrapolated.
//
// Resuming: every batch is recorded in a ledger (the loop's journal) under a key made of the current
// context (the stage that asks: "relax-0-CsCl@1", "sscha-0-CsCl@1"), the configurations' hash and how
// often that batch already came in this context. A batch asked again after a restart (a relaxation
// redone from its start, the harmonic force constants of a resumed SSCHA) is evaluated with the model
// that evaluated it the first time; a batch never seen before is graded and evaluated with the newest
// model, which is where the interrupted run stood. So an interrupted run computes the same numbers.
import { CalculatorError, type CalcOptions, type CalcResult, type Calculator } from '../calculators/calculator.js';
import type { LabelledConfig } from '../mlip/dataset.js';
import { collectRows, selectCandidates } from '../mlip/active-set.js';
import { evaluateErrors, trainModel, type FitErrors } from '../mlip/train.js';
import type { MtpModel } from '../mlip/model.js';
import type { Structure } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import { configurationKey, type LabelStore } from './labels.js';
import { reducedFormulaKey } from '../search/composition.js';

/** Where the models of the batches are kept (the loop's journal and models/ folder). */
export interface ModelLedger {
  /** The model that evaluated `batch` in this or an earlier (interrupted) run, if any. */
  recall(batch: string): MtpModel | undefined;
  /** `batch` was evaluated with the newest model (record it, so a replay uses the same one). */
  evaluated(batch: string): void;
  /** Configuration `index` of `batch` is stopped for extrapolating (see `stopGrade`); recorded before
   *  its labelling, so a replay stops it too. */
  stop?(batch: string, index: number): void;
  /** The configuration of `batch` stopped when it was first graded, if any. */
  stopped?(batch: string): number | undefined;
  /** A new newest model, trained after labelling `labelled` configurations of `batch` (record it
   *  before the batch). `errors`: the previous model's errors on those configurations. */
  retrained(model: MtpModel, labelled: number, errors: FitErrors, batch: string): void;
}

export interface ActiveLearningOptions {
  /** Grade above which a configuration may be labelled. */
  gradeSelect: number;
  /** Most configurations labelled per batch. */
  maxLabels: number;
  /** Stage name recorded with the labels (changed later through the `stage` field). */
  stage: string;
  /** Labelled data that is not in the label store (the user's starting data). */
  baseData: readonly LabelledConfig[];
  seed: number;
  /** Labels more than this above the lowest energy per atom of their composition are not trained on (eV/atom). */
  trainWindow: number;
  ledger?: ModelLedger;
  /** A batch arrives (before grading): its size and whether it is replayed from the ledger. */
  onBatch?: (size: number, replayed: boolean) => void;
}

/**
 * The labels worth fitting: those within `window` eV/atom of the lowest energy per atom of the same
 * composition. A search labels configurations where the model extrapolated, some of them far up the
 * repulsive wall (random structures, aborted relaxations); fitted with the same weight as the
 * near-equilibrium ones, a few such points spend a linear model's capacity where it is never used.
 * They stay in the label store (never asked again), only out of the fit.
 */
export function withinWindow<T extends LabelledConfig>(data: readonly T[], window: number): T[] {
  if (!(window < Infinity)) return [...data];
  const key = (d: T) => reducedFormulaKey(d.structure.species);
  const lowest = new Map<string, number>();
  for (const d of data) {
    const e = d.energy / d.structure.natoms;
    const k = key(d);
    if (!(lowest.get(k)! <= e)) lowest.set(k, e);
  }
  return data.filter((d) => d.energy / d.structure.natoms <= lowest.get(key(d))! + window);
}

export class ActiveLearningCalculator implements Calculator {
  readonly name: string;
  /** Labels made through this engine in this process. */
  labelled = 0;
  /** Who asks (part of the ledger key); set by the loop before each stage. */
  context = '';
  /** Stage recorded with the labels. */
  stage: string;
  /**
   * Grade (against the model before this batch's retraining) above which the model is not trusted for
   * a configuration at all (physics.md 6.6, γ > 10): it is labelled like the others, and then its
   * relaxation is stopped (the configuration is reported as failed to the relaxation) instead of being
   * evaluated with a model that has seen one point of a region it knew nothing about. Infinity: never
   * (the SSCHA, whose populations are evaluated whole after labelling).
   */
  stopGrade = Infinity;
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly k: Kernels,
    /** The newest model. */
    public model: MtpModel,
    private readonly reference: Calculator,
    private readonly labels: LabelStore,
    readonly opts: ActiveLearningOptions,
  ) {
    this.name = `MLIP with active learning (reference: ${reference.name})`;
    this.stage = opts.stage;
  }

  async compute(structures: readonly Structure[], options: CalcOptions = {}): Promise<CalcResult[]> {
    const content = `${this.context}/${structures.length > 0 ? configurationKey(structures[0]) : 'empty'}x${structures.length}`;
    const n = this.seen.get(content) ?? 0;
    this.seen.set(content, n + 1);
    const batch = `${content}#${n}`;
    const recalled = this.opts.ledger?.recall(batch);
    this.opts.onBatch?.(structures.length, !!recalled);
    let use = recalled;
    let stop = recalled ? this.opts.ledger?.stopped?.(batch) : undefined;
    if (!use) {
      const active = this.model.activeSet;
      if (active && this.opts.gradeSelect < Infinity) {
        const candidates = structures.map((s) => {
          const rows = collectRows(this.model.basis, [s], active.mode).rows;
          return { rows, n: rows.length / this.model.basis.nParams };
        });
        const { selected, grades } = selectCandidates(this.k, active, candidates, { cap: this.opts.maxLabels, minGrade: this.opts.gradeSelect });
        // the worst configuration beyond trust is stopped (one per call: the caller retries the others)
        let worst = -1;
        for (let i = 0; i < grades.length; i++) if (grades[i] > this.stopGrade && (worst < 0 || grades[i] > grades[worst])) worst = i;
        if (worst >= 0) {
          stop = worst;
          this.opts.ledger?.stop?.(batch, worst);
        }
        const fresh = selected.length > 0 ? await this.labels.label(selected.map((i) => structures[i]), this.reference, this.stage) : [];
        const data = fresh.length > 0 ? withinWindow([...this.opts.baseData, ...this.labels.all()], this.opts.trainWindow) : [];
        // labels all kept out of the fit by the training window (e.g. one selected again and again on
        // the repulsive wall) leave the training set as it was: retraining would give the same model.
        // (Decided from the labels' energies alone, so a resumed run decides the same.)
        if (fresh.some((f) => data.includes(f))) {
          const errors = evaluateErrors(this.model.basis, this.model.theta, fresh);
          this.labelled += fresh.length;
          this.model = trainModel(this.k, this.model.basis, data, [], { seed: this.opts.seed }).model;
          this.opts.ledger?.retrained(this.model, fresh.length, errors, batch);
        }
      }
      this.opts.ledger?.evaluated(batch);
      use = this.model;
    }
    if (stop !== undefined) throw new CalculatorError(`${this.name}: configuration ${stop} extrapolates beyond the trust grade ${this.stopGrade} (labelled; its relaxation is stopped)`, stop);
    // not disposed: the calculator would free the basis, which every retrained model shares
    return use.calculator(this.k).compute(structures, options);
  }
}
