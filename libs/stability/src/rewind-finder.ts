/** What the caller measured for one rewind step: typically `instability(...)` of two copies trained from it. */
export interface StabilityVerdict {
  readonly stable: boolean;
  readonly barrier: number;
}

export interface RewindProbe extends StabilityVerdict {
  readonly step: number;
  /** Position of `step` in the list of saved steps. */
  readonly index: number;
}

export interface RewindSearch {
  /** The earliest saved step whose subnetwork is stable, or null when none of them is. */
  readonly chosen: number | null;
  /** Every probe, in the order it was made; each step is probed at most once. */
  readonly probes: readonly RewindProbe[];
}

/**
 * Finds the earliest saved rewind step whose subnetwork is stable, assuming stability is monotone in the
 * step (unstable up to some point, stable after it). Gallops over indices 0, 1, 3, 7, …, 2^j−1 (clamped to
 * the last one) until a stable step turns up, then bisects the gap behind it. An answer at index i costs at
 * most 2⌈log₂(i+1)⌉ probes — cheap when the answer is early, as it usually is; "none stable" costs ⌈log₂ n⌉+1.
 * Probes run one at a time, each independent of the others, so the caller may cache them across searches.
 */
export async function findEarliestStableRewind(
  savedSteps: readonly number[],
  isStable: (step: number) => Promise<StabilityVerdict>,
): Promise<RewindSearch> {
  for (let i = 1; i < savedSteps.length; i++) {
    if (!(savedSteps[i]! > savedSteps[i - 1]!)) throw new Error('saved rewind steps must be strictly increasing');
  }
  const probes: RewindProbe[] = [];
  const probe = async (index: number): Promise<boolean> => {
    const step = savedSteps[index]!;
    const { stable, barrier } = await isStable(step);
    probes.push({ step, index, stable, barrier });
    return stable;
  };

  const last = savedSteps.length - 1;
  // Invariant: every index <= unstableBelow is known unstable (−1: none probed yet).
  let unstableBelow = -1;
  let stableAt: number | null = null;
  for (let stride = 1; unstableBelow < last; stride *= 2) {
    const index = Math.min(stride - 1, last);
    if (await probe(index)) {
      stableAt = index;
      break;
    }
    unstableBelow = index;
  }
  if (stableAt === null) return { chosen: null, probes };

  // Bisect the open interval (unstableBelow, stableAt) for the first stable index.
  while (stableAt - unstableBelow > 1) {
    const middle = Math.floor((unstableBelow + stableAt) / 2);
    if (await probe(middle)) stableAt = middle;
    else unstableBelow = middle;
  }
  return { chosen: savedSteps[stableAt]!, probes };
}
