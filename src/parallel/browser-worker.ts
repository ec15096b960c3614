// Web Worker entry of the evaluation pool: `new Worker(new URL('./browser-worker.js', import.meta.url), { type: 'module' })`.
// Imports no bare specifiers (workers have no import maps).
import { serveEvaluator, type FromWorker, type ToWorker } from './evaluator.js';

const scope = self as unknown as {
  postMessage(msg: FromWorker, transfer: Transferable[]): void;
  addEventListener(type: 'message', handler: (e: MessageEvent<ToWorker>) => void): void;
};
serveEvaluator({
  postMessage: (msg, transfer) => scope.postMessage(msg, transfer ?? []),
  onMessage: (handler) => scope.addEventListener('message', (e) => handler(e.data)),
});
