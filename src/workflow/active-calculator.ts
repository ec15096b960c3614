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
import type { CalcOptions, CalcResult, Calculator } from '../calculators/calculator.js';
import type { LabelledConfig } from '../mlip/dataset.js';
import { collectRows, selectCandidates } from '../mlip/active-set.js';
import { evaluateErrors, trainModel, type FitErrors } from '../mlip/train.js';
import type { MtpModel } from '../mlip/model.js';
import type { Structure } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import { configurationKey, type LabelStore } from './labels.js';

/** Where the models of the batches are kept (the loop's journal and models/ folder). */
export interface ModelLedger {
  /** The model that evaluated `batch` in this or an earlier (interrupted) run, if any. */
  recall(batch: string): MtpModel | undefined;
  /** `batch` was evaluated with the newest model (record it, so a replay uses the same one). */
  evaluated(batch: string): void;
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
  ledger?: ModelLedger;
  /** A batch arrives (before grading): its size and whether it is replayed from the ledger. */
  onBatch?: (size: number, replayed: boolean) => void;
}

export class ActiveLearningCalculator implements Calculator {
  readonly name: string;
  /** Labels made through this engine in this process. */
  labelled = 0;
  /** Who asks (part of the ledger key); set by the loop before each stage. */
  context = '';
  /** Stage recorded with the labels. */
  stage: string;
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
    if (!use) {
      const active = this.model.activeSet;
      if (active) {
        const candidates = structures.map((s) => {
          const rows = collectRows(this.model.basis, [s], active.mode).rows;
          return { rows, n: rows.length / this.model.basis.nParams };
        });
        const { selected } = selectCandidates(this.k, active, candidates, { cap: this.opts.maxLabels, minGrade: this.opts.gradeSelect });
        if (selected.length > 0) {
          const fresh = await this.labels.label(selected.map((i) => structures[i]), this.reference, this.stage);
          const errors = evaluateErrors(this.model.basis, this.model.theta, fresh);
          this.labelled += fresh.length;
          const data = [...this.opts.baseData, ...this.labels.all()];
          this.model = trainModel(this.k, this.model.basis, data, [], { seed: this.opts.seed }).model;
          this.opts.ledger?.retrained(this.model, fresh.length, errors, batch);
        }
      }
      this.opts.ledger?.evaluated(batch);
      use = this.model;
    }
    // not disposed: the calculator would free the basis, which every retrained model shares
    return use.calculator(this.k).compute(structures, options);
  }
}
