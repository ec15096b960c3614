// Node worker_threads entry of the evaluation pool (src/parallel/evaluator.ts); started by workers.ts.
import { parentPort } from 'node:worker_threads';
import { serveEvaluator, type ToWorker } from '../parallel/evaluator.js';

if (!parentPort) throw new Error('worker-thread.ts must run in a worker thread');
const port = parentPort;
serveEvaluator({
  postMessage: (msg, transfer) => port.postMessage(msg, transfer as never),
  onMessage: (handler) => port.on('message', (m: ToWorker) => handler(m)),
});
