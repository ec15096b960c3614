/** Raised when an engine returns NaN/Inf or otherwise unusable results. */
export class CalculatorError extends Error {
    index;
    constructor(message, 
    /** Index of the configuration in the batch, when known. */
    index) {
        super(message);
        this.index = index;
        this.name = 'CalculatorError';
    }
}
/** Check a result for NaN/Inf and shape errors; throws CalculatorError naming the configuration. */
export function validateResult(r, natoms, index, engine) {
    if (!Number.isFinite(r.energy))
        throw new CalculatorError(`${engine}: energy of configuration ${index} is ${r.energy}`, index);
    if (r.forces.length !== 3 * natoms) {
        throw new CalculatorError(`${engine}: configuration ${index} has ${r.forces.length / 3} force vectors for ${natoms} atoms`, index);
    }
    for (let i = 0; i < r.forces.length; i++) {
        if (!Number.isFinite(r.forces[i])) {
            throw new CalculatorError(`${engine}: force on atom ${Math.floor(i / 3) + 1} of configuration ${index} is ${r.forces[i]}`, index);
        }
    }
    if (r.stress) {
        if (r.stress.length !== 9)
            throw new CalculatorError(`${engine}: stress of configuration ${index} must have 9 components`, index);
        if (!r.stress.every(Number.isFinite))
            throw new CalculatorError(`${engine}: stress of configuration ${index} is not finite`, index);
    }
}
