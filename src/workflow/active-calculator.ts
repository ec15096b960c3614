// The MLIP as an SSCHA engine with active learning on every population (physics.md 6.6, 8 step 5):
// each batch (one population) is graded against the model's active set before it is evaluated; the
// configurations that enter the D-optimal set with a grade above the threshold are labelled by the
// reference, the model is retrained on everything labelled so far, and then the whole batch is
// evaluated with the new model. The SSCHA therefore never minimises on energies the model extrapolated.
import type { CalcOptions, CalcResult, Calculator } from '../calculators/calculator.js';
import type { LabelledConfig } from '../mlip/dataset.js';
import { collectRows, selectCandidates } from '../mlip/active-set.js';
import { evaluateErrors, trainModel, type FitErrors } from '../mlip/train.js';
import { MtpModel } from '../mlip/model.js';
import type { Structure } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import { configurationKey, type LabelStore } from './labels.js';

export interface ActiveLearningOptions {
  /** Grade above which a configuration may be labelled. */
  gradeSelect: number;
  /** Most configurations labelled per batch. */
  maxLabels: number;
  /** Stage name recorded with the labels. */
  stage: string;
  /** Labelled data that is not in the label store (the user's starting data). */
  baseData: readonly LabelledConfig[];
  seed: number;
  /** A new model was trained for the batch `batch` (to journal it). */
  onModel?: (model: MtpModel, labelled: number, errors: FitErrors, batch: string) => void;
  /** The model journalled for `batch` by an earlier (interrupted) run, so a resumed run replays it. */
  recall?: (batch: string) => MtpModel | undefined;
}

export class ActiveLearningCalculator implements Calculator {
  readonly name: string;
  /** Labels made through this engine, and the MLIP errors on them before each retraining. */
  labelled = 0;
  lastErrors: FitErrors | null = null;

  constructor(
    private readonly k: Kernels,
    public model: MtpModel,
    private readonly reference: Calculator,
    private readonly labels: LabelStore,
    private readonly opts: ActiveLearningOptions,
  ) {
    this.name = `MLIP with active learning (reference: ${reference.name})`;
  }

  async compute(structures: readonly Structure[], options: CalcOptions = {}): Promise<CalcResult[]> {
    const batch = `${structures.length > 0 ? configurationKey(structures[0]) : 'empty'}x${structures.length}`;
    const recalled = this.opts.recall?.(batch);
    const active = this.model.activeSet;
    if (recalled) this.model = recalled;
    else if (active) {
      const candidates = structures.map((s) => {
        const rows = collectRows(this.model.basis, [s], active.mode).rows;
        return { rows, n: rows.length / this.model.basis.nParams };
      });
      const { selected } = selectCandidates(this.k, active, candidates, { cap: this.opts.maxLabels, minGrade: this.opts.gradeSelect });
      if (selected.length > 0) {
        const fresh = await this.labels.label(selected.map((i) => structures[i]), this.reference, this.opts.stage);
        this.lastErrors = evaluateErrors(this.model.basis, this.model.theta, fresh);
        this.labelled += fresh.length;
        const data = [...this.opts.baseData, ...this.labels.all()];
        this.model = trainModel(this.k, this.model.basis, data, [], { seed: this.opts.seed }).model;
        this.opts.onModel?.(this.model, fresh.length, this.lastErrors, batch);
      }
    }
    // not disposed: the calculator would free the basis, which every retrained model shares
    return this.model.calculator(this.k).compute(structures, options);
  }
}
