/**
 * What the spec parser knows of the experiment kinds: their names and the numbers they read from the spec.
 * The kinds themselves (how they plan, run and render) are modules of @rewind/kinds, which hands its
 * catalog to `parseSpec`; core stays free of any particular control or analysis.
 */

/** A number a kind reads from its spec section, with its default and range. */
export interface SpecOption {
  /** The spec's (snake_case) key, e.g. `alpha_points`. */
  readonly key: string;
  readonly fallback: number;
  readonly min: number;
  readonly max?: number;
  readonly exclusiveMin?: boolean;
  readonly integer?: boolean;
}

export interface KindCatalog {
  /** Controls a spec may list under `controls`. */
  readonly controls: readonly string[];
  /** Analyses a spec may list under `stability.analyses`, each with the options it reads from `stability`. */
  readonly analyses: readonly { readonly name: string; readonly options: readonly SpecOption[]; readonly optIn?: boolean }[];
}
