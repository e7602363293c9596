/**
 * Training steps replayed from a recording. A step of the same shape and hyperparameters queues the
 * same GPU work every time; only the batch and the state's values change. On a backend that can
 * record (webgpu registers one), the second step of a kind runs through tfjs once more while its
 * commands are recorded, and later ones are encoded straight from the recording: no autograd
 * tape, no per-op bookkeeping, one submit. That host work is what bounds small GPU steps.
 * The replay runs the very same kernels on the same buffers in the same order, so results are
 * bit-identical to running through tfjs. `REWIND_STEP_REPLAY=off` runs every step through tfjs: a backend
 * reads it when it starts and then registers no recorder.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A step's work: tensors in, tensors out; it may update the state in place (variables, buffers). */
export type StepBody = (inputs: readonly tf.Tensor[]) => tf.Tensor[];

/** The GPU time of one kind of dispatch in a recorded step (bench/gpu-profile.ts). */
export interface DispatchTime {
  /** The kernel's shader key (its program and variant). */
  readonly kernel: string;
  readonly workgroups: string;
  /** How many times the step launches it. */
  readonly launches: number;
  readonly msPerLaunch: number;
}

export interface Recording {
  /** What one replay queues, for the log ("41 dispatches and 14 buffer copies in one submit"). */
  readonly summary: string;
  /** The step again on `inputs`; undefined when the recording no longer applies (the state was replaced). */
  replay(inputs: readonly tf.Tensor[]): tf.Tensor[] | undefined;
  /**
   * For profiling, where the backend can: each kind of recorded dispatch timed alone on the GPU,
   * repeated at least `repeats` times. It overwrites what the step computed, state included.
   */
  timeDispatches?(repeats: number): Promise<DispatchTime[]>;
  dispose(): void;
}

/** What running a step while recording it gave: its outputs, and the recording or why there is none. */
export type Recorded = { readonly outputs: tf.Tensor[] } & ({ readonly recording: Recording } | { readonly refused: string });

/** Runs `body` once for real and records it. `state` lists every tensor that outlives a step. */
export type StepRecorder = (inputs: readonly tf.Tensor[], state: () => readonly tf.Tensor[], body: StepBody) => Recorded;

const recorders = new Map<string, StepRecorder>();
/** Once per process: a sweep trains many times. */
let announced = false;

/** Called by a backend when it starts; the engine never names a backend here. */
export function registerStepRecorder(backendName: string, recorder: StepRecorder): void {
  recorders.set(backendName, recorder);
}

/** Parses REWIND_STEP_REPLAY (or a bench's --replay flag). */
export function stepReplaySetting(value: string): 'on' | 'off' {
  if (value === 'on' || value === 'off') return value;
  throw new Error(`REWIND_STEP_REPLAY must be 'on' or 'off' (got '${value}')`);
}

/**
 * Step kinds remembered (as seen once, recorded or refused). Only the newest recording is kept: each
 * holds about a step's worth of GPU buffers, and a run moves from kind to kind (the learning rate
 * steps down) without coming back.
 */
const KINDS_KEPT = 4;

interface Kind {
  recording?: Recording;
  refused?: string;
}

export class StepRunner {
  private readonly recorder: StepRecorder | undefined;
  /** In least-recently-used order. */
  private readonly kinds = new Map<string, Kind>();
  private readonly warned = new Set<string>();

  /**
   * `state` lists the tensors that outlive a step (parameters, momenta, masks, running statistics).
   * `setting` off runs every step through tfjs even where the backend records steps (benches compare the two).
   */
  constructor(
    private readonly state: () => readonly tf.Tensor[],
    setting: 'on' | 'off' = 'on',
  ) {
    this.recorder = setting === 'on' ? recorders.get(tf.getBackend()) : undefined;
  }

  /** The recording steps are replayed from now, if any (for profiling). */
  get recording(): Recording | undefined {
    for (const { recording } of this.kinds.values()) if (recording) return recording;
    return undefined;
  }

  /** Whether steps can be replayed on this backend at all. */
  get replays(): boolean {
    return this.recorder !== undefined;
  }

  /**
   * Runs `body` on `inputs`. `kind` names everything the step's GPU work depends on besides the
   * inputs' values and the state: the hyperparameters passed as kernel attributes, the shapes.
   * The caller owns the returned tensors and its inputs, as with a plain call.
   */
  run(kind: string, inputs: readonly tf.Tensor[], body: StepBody): tf.Tensor[] {
    if (!this.recorder) return body(inputs);
    const known = this.kinds.get(kind);
    if (known) this.kinds.delete(kind);
    if (known?.recording) {
      const outputs = known.recording.replay(inputs);
      if (outputs) {
        this.kinds.set(kind, known);
        return outputs;
      }
      known.recording.dispose();
    }
    // A kind seen once is recorded the second time: a kind used only once (a warm-up step) never is.
    if (!known || known.recording || known.refused) {
      this.remember(kind, known?.refused ? { refused: known.refused } : {});
      return body(inputs);
    }
    const recorded = this.recorder(inputs, this.state, body);
    if ('recording' in recorded) {
      for (const other of this.kinds.values()) {
        other.recording?.dispose();
        delete other.recording;
      }
      this.remember(kind, { recording: recorded.recording });
      if (!announced) {
        announced = true;
        console.error(`rewind: training steps are replayed from a recording on ${tf.getBackend()} (${recorded.recording.summary} per step)`);
      }
    } else {
      this.remember(kind, { refused: recorded.refused });
      if (!this.warned.has(recorded.refused)) {
        this.warned.add(recorded.refused);
        console.warn(`rewind: training steps run through tfjs, not replayed (${recorded.refused})`);
      }
    }
    return recorded.outputs;
  }

  dispose(): void {
    for (const { recording } of this.kinds.values()) recording?.dispose();
    this.kinds.clear();
  }

  private remember(kind: string, entry: Kind): void {
    this.kinds.set(kind, entry);
    for (const [oldest, { recording }] of this.kinds) {
      if (this.kinds.size <= KINDS_KEPT) break;
      recording?.dispose();
      this.kinds.delete(oldest);
    }
  }
}
