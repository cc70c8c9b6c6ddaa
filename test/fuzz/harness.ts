// The hostile-input fuzzer: one contract for every public call.
//
// A spec (test/fuzz/specs/<area>.ts, or <area>-<part>.ts when several parts
// of an area keep their own) describes each exported class or
// function: how to build a working instance, each method's parameters (their
// kind and one valid value), and a `healthy` check that the instance still
// works. The runner (test/fuzz/fuzz.test.ts) drives every constructor and
// method with hostile values from fast-check, seeded, and asserts:
//
//   1. the call returns (or its promise settles) within a bound: nothing hangs;
//   2. it either works or throws (rejects) the package's typed error:
//      `InvalidArgumentError` / `OutOfRangeError` / a `BlackholeError`, with a
//      message naming the component;
//   3. a value of the wrong kind for its parameter (a string, null, a bigint or
//      a symbol where a number is expected; a string where an array is) is
//      refused, never coerced;
//   4. after any rejected call, `healthy(instance)` still passes.
//
// A spec lists what each call may legitimately do with a value of the right
// kind but outside the rule (NaN, -1, 2^53, 2^31 ms): either work or throw
// typed. Kinds decide what counts as "wrong kind"; see `Kind`.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BlackholeError, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

/**
 * What a parameter accepts, for rule 3:
 * - number / int: only `typeof === 'number'` (NaN and infinities are numbers: the call may refuse them, typed);
 * - string, boolean, function: that typeof;
 * - array: only an array (a string or a number is refused);
 * - iterable: an array or any non-string iterable;
 * - options: undefined or a plain object; its fields are fuzzed by their own kinds;
 * - signal: undefined or an AbortSignal;
 * - any: anything may be accepted (a map key, a value, a task argument); only rules 1, 2 and 4 apply.
 */
export type Kind = 'number' | 'int' | 'string' | 'boolean' | 'function' | 'array' | 'iterable' | 'options' | 'signal' | 'any';

/** One parameter: its kind, a valid value, and for options the fields. */
export interface Param {
  kind: Kind;
  /** A value that makes the call work (used when another parameter is the one fuzzed). */
  valid: unknown;
  /** Options fields, each fuzzed on its own. */
  fields?: Record<string, Param>;
  /** The parameter may be left out (undefined is a valid value). */
  optional?: boolean;
}

/** A parameter of kind number. @example num(5) */
export const num = (valid: number, optional = false): Param => ({ kind: 'number', valid, optional });
/** A parameter of kind int. @example int(3) */
export const int = (valid: number, optional = false): Param => ({ kind: 'int', valid, optional });
/** A parameter of kind string. */
export const str = (valid: string, optional = false): Param => ({ kind: 'string', valid, optional });
/** A parameter of kind boolean. */
export const bool = (valid: boolean, optional = false): Param => ({ kind: 'boolean', valid, optional });
/** A parameter of kind function. */
export const fn = (valid: (...a: never[]) => unknown, optional = false): Param => ({ kind: 'function', valid, optional });
/** A parameter of kind array. */
export const arr = (valid: unknown[], optional = false): Param => ({ kind: 'array', valid, optional });
/** A parameter of kind iterable. */
export const iter = (valid: Iterable<unknown>, optional = false): Param => ({ kind: 'iterable', valid, optional });
/** A parameter that accepts anything. */
export const any = (valid: unknown, optional = false): Param => ({ kind: 'any', valid, optional });
/** An optional AbortSignal parameter. */
export const signal = (): Param => ({ kind: 'signal', valid: undefined, optional: true });
/**
 * An options parameter with its fields (each a Param; `valid` of the whole is
 * built from the fields' valid values unless given).
 * @example opts({ timeoutMs: num(100, true) })
 */
export function opts(fields: Record<string, Param>, valid?: Record<string, unknown>, optional = true): Param {
  const v = valid ?? Object.fromEntries(Object.entries(fields).filter(([, p]) => !p.optional).map(([k, p]) => [k, p.valid]));
  return { kind: 'options', valid: v, fields, optional };
}

/** The reason given for exempting a TypeScript-private method (JavaScript sees it as public). */
export const PRIVATE_HELPER = 'TypeScript-private helper (not part of the typed API; reached only through the public methods fuzzed here)';

/**
 * An `exemptMethods` entry for TypeScript-private helpers.
 * @example exemptMethods: { LruCache: privates('link', 'unlink') }
 */
export const privates = (...names: string[]): Record<string, string> => Object.fromEntries(names.map((n) => [n, PRIVATE_HELPER]));

/** One method (or function) to fuzz. */
export interface MethodSpec {
  params: Param[];
  /** The call may leave its promise pending with valid-but-odd input (a wait): pending after `settleMs` is not a failure. */
  mayPend?: boolean;
  /** Bound on how long a promise may take to settle (default 2000 ms). */
  settleMs?: number;
}

/** A class (or factory) and its methods. */
export interface ClassSpec<T = any> {
  /** Export name, e.g. 'Histogram' (also the component name errors must mention unless `component` is set). */
  name: string;
  /** Text every error message must contain (default `name`). */
  component?: string;
  /** Builds a working instance with valid arguments. */
  make: () => T | Promise<T>;
  /** The constructor (or factory) with its parameters, fuzzed like a method; returns the instance. */
  ctor?: {
    params: Param[];
    call: (...args: any[]) => T | Promise<T>;
    /**
     * Checks an instance the constructor accepted from fuzzed arguments
     * (default: `healthy`). Needed where a value of the right kind cannot be
     * judged at construction: a comparator `() => 1` is a function, and the
     * structure it orders is only as consistent as the comparator.
     */
    healthy?: (obj: T, args: unknown[]) => void | Promise<void>;
  };
  /** Methods by name: called as `instance[name](...args)` unless `call` is given. */
  methods: Record<string, MethodSpec & { call?: (obj: T, ...args: any[]) => unknown }>;
  /** Asserts the instance still works (it may have been changed by accepted calls). */
  healthy: (obj: T) => void | Promise<void>;
  /** Releases the instance (threads, timers, sockets). */
  dispose?: (obj: T) => void | Promise<void>;
}

/** A free function. */
export interface FunctionSpec {
  name: string;
  component?: string;
  call: (...args: any[]) => unknown;
  params: Param[];
  mayPend?: boolean;
  settleMs?: number;
}

/** What a spec file exports as default. */
export interface AreaSpec {
  /** Subpath, e.g. 'metrics' (the module is src/<area>/index.ts), or 'root'. */
  area: string;
  classes: ClassSpec[];
  functions: FunctionSpec[];
  /**
   * Runtime exports deliberately not fuzzed, with the reason (error classes,
   * constant tables, plain enums). Every other runtime export of the area's
   * index must be covered by a class or function spec.
   */
  exempt: Record<string, string>;
  /** Extra method names per class that are exempt (e.g. iterators, `[Symbol.asyncDispose]`), with reason. */
  exemptMethods?: Record<string, Record<string, string>>;
}

class Sym {
  toString(): string {
    return 'sym';
  }
}
const weird = Object.create(null) as object;

/** The hostile values every parameter is tried with. */
export const HOSTILE: readonly unknown[] = [
  undefined,
  null,
  Number.NaN,
  Infinity,
  -Infinity,
  -1,
  0,
  -0,
  0.5,
  1.5,
  -(2 ** 31),
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 64,
  1e308,
  Number.MIN_VALUE,
  '5',
  '',
  'abc',
  '0x10',
  10n,
  -1n,
  Symbol('hostile'),
  true,
  false,
  [],
  [1, 2, 3],
  [Number.NaN],
  {},
  { valueOf: () => 5 },
  () => 1,
  new Date(0),
  weird,
  new Sym(),
  new Uint8Array(4),
  Promise.resolve(1),
];

function wrongKind(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'number':
    case 'int':
      return typeof v !== 'number';
    case 'string':
      return typeof v !== 'string';
    case 'boolean':
      return typeof v !== 'boolean';
    case 'function':
      return typeof v !== 'function';
    case 'array':
      return !Array.isArray(v);
    case 'iterable':
      return typeof v === 'string' || v === null || (typeof v !== 'object' && typeof v !== 'function') || typeof (v as any)[Symbol.iterator] !== 'function';
    case 'options':
      return v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v));
    case 'signal':
      return v !== undefined && !(v instanceof AbortSignal);
    case 'any':
      return false;
  }
}

/** True when `e` is one of the package's typed errors. */
export function isTyped(e: unknown): boolean {
  return e instanceof BlackholeError || e instanceof OutOfRangeError || e instanceof InvalidArgumentError;
}

function show(v: unknown): string {
  try {
    if (typeof v === 'symbol') return 'Symbol()';
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'function') return 'function';
    if (v instanceof Promise) return 'Promise';
    return JSON.stringify(v) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** A generated mutation: which parameter (and options field) gets which hostile value. */
interface Mutation {
  index: number;
  field: string | undefined;
  value: unknown;
}

function mutationArb(params: Param[]): fc.Arbitrary<Mutation[]> {
  const one: fc.Arbitrary<Mutation> = fc
    .record({ index: fc.nat({ max: Math.max(0, params.length - 1) }), pick: fc.nat(), value: fc.constantFrom(...HOSTILE), whole: fc.boolean() })
    .map(({ index, pick, value, whole }) => {
      const p = params[index];
      const names = p?.fields ? Object.keys(p.fields) : [];
      const field = names.length > 0 && !whole ? names[pick % names.length] : undefined;
      return { index, field, value };
    });
  return fc.array(one, { minLength: 1, maxLength: 2 });
}

/**
 * Every single mutation, once: each parameter replaced by each hostile value,
 * and each options field set to each hostile value. Run before the random
 * pairs, so a gap such as `{ initialCapacity: null }` taken as the default is
 * found on every run, not only when a seed happens to draw it.
 */
function sweep(params: Param[]): [Mutation[]][] {
  const out: [Mutation[]][] = [];
  params.forEach((p, index) => {
    for (const value of HOSTILE) out.push([[{ index, field: undefined, value }]]);
    for (const field of Object.keys(p.fields ?? {})) for (const value of HOSTILE) out.push([[{ index, field, value }]]);
  });
  return out;
}

function build(params: Param[], muts: Mutation[]): { args: unknown[]; mustRefuse: string | undefined } {
  const args = params.map((p) => (p.kind === 'options' && p.valid !== undefined ? { ...(p.valid as object) } : p.valid));
  // Apply every mutation first: a later one may overwrite an earlier one's
  // argument or field (with a valid value, or the whole options object).
  const touched = new Map<number, Set<string> | 'whole'>();
  for (const m of muts) {
    const p = params[m.index];
    if (p === undefined) continue;
    if (m.field !== undefined && p.fields) {
      const base = typeof args[m.index] === 'object' && args[m.index] !== null ? (args[m.index] as Record<string, unknown>) : {};
      args[m.index] = { ...base, [m.field]: m.value };
      const t = touched.get(m.index);
      if (t === undefined || t === 'whole') touched.set(m.index, new Set([m.field]));
      else t.add(m.field);
    } else {
      args[m.index] = m.value;
      touched.set(m.index, 'whole');
    }
  }
  // Then judge the final arguments: what must be refused is decided by what
  // the call actually receives.
  let mustRefuse: string | undefined;
  for (const [index, t] of touched) {
    const p = params[index]!;
    const v = args[index];
    if (t === 'whole') {
      if (!(v === undefined && p.optional) && wrongKind(p.kind, v)) mustRefuse ??= `argument ${index} = ${show(v)} (${p.kind} expected)`;
      continue;
    }
    for (const field of t) {
      const fp = p.fields![field]!;
      const fv = (v as Record<string, unknown>)[field];
      if (!(fv === undefined && fp.optional) && wrongKind(fp.kind, fv)) mustRefuse ??= `option ${field} = ${show(fv)} (${fp.kind} expected)`;
    }
  }
  // Trailing undefined arguments are passed as given (a length check would see them).
  return { args, mustRefuse };
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown } | { pending: true };

async function settle(run: () => unknown, settleMs: number): Promise<Outcome> {
  let value: unknown;
  try {
    value = run();
  } catch (error) {
    return { ok: false, error };
  }
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || typeof (value as any).then !== 'function') return { ok: true, value };
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ pending: true }), settleMs);
  });
  try {
    return await Promise.race([
      (value as Promise<unknown>).then(
        (v) => ({ ok: true, value: v }) as Outcome,
        (error) => ({ ok: false, error }) as Outcome,
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function checkOutcome(where: string, component: string, out: Outcome, mustRefuse: string | undefined, mayPend: boolean, single = false): boolean {
  if ('pending' in out) {
    assert.ok(mayPend || mustRefuse === undefined, `${where}: still pending after the bound (a hang?)`);
    assert.ok(mayPend, `${where}: still pending after the bound (a hang?)`);
    return false;
  }
  if (out.ok) {
    assert.equal(mustRefuse, undefined, `${where}: accepted ${mustRefuse}; a value of the wrong kind must be refused with a typed error`);
    return false;
  }
  const e = out.error as Error;
  assert.ok(isTyped(e), `${where}: threw an untyped ${e?.constructor?.name ?? typeof e}: ${e?.message ?? String(e)}`);
  assert.ok(
    typeof e.message === 'string' && e.message.includes(component),
    `${where}: the message must name the component ${JSON.stringify(component)}: ${e.message}`,
  );
  // One value of the wrong kind, nothing else changed: the refusal is about its
  // kind, so it is an InvalidArgumentError (OutOfRangeError is for a value of
  // the right kind outside its rule).
  if (single && mustRefuse !== undefined) {
    assert.ok(!(e instanceof OutOfRangeError), `${where}: refused ${mustRefuse} with OutOfRangeError; a value of the wrong kind is an InvalidArgumentError: ${e.message}`);
  }
  return true;
}

/** The single-mutation sweep runs unless FUZZ_SWEEP=0 (on by default). */
const SWEEP = process.env.FUZZ_SWEEP !== '0';

/** fast-check parameters: the sweep first, then `numRuns` random pairs (examples count towards numRuns, so it is added). */
function runParams(seed: number, numRuns: number, params: Param[]): fc.Parameters<[Mutation[]]> {
  const examples = SWEEP ? sweep(params) : [];
  return { seed, numRuns: numRuns + examples.length, endOnFailure: true, includeErrorInReport: true, examples };
}

/** Runs for each spec: constructor fuzz, then each method. */
export async function fuzzClass(spec: ClassSpec, seed: number, numRuns: number): Promise<void> {
  const component = spec.component ?? spec.name;
  if (spec.ctor) {
    const ctor = spec.ctor;
    await fc.assert(
      fc.asyncProperty(mutationArb(ctor.params), async (muts) => {
        const { args, mustRefuse } = build(ctor.params, muts);
        const where = `${spec.name} constructor(${args.map(show).join(', ')})`;
        const out = await settle(() => ctor.call(...args), 2000);
        const threw = checkOutcome(where, component, out, mustRefuse, false, muts.length === 1);
        if (!threw && 'ok' in out && out.ok) {
          // A constructor that accepted odd values must give a working object.
          const obj = out.value;
          try {
            await (ctor.healthy ? ctor.healthy(obj as never, args) : spec.healthy(obj));
          } finally {
            await spec.dispose?.(obj);
          }
        }
      }),
      runParams(seed, numRuns, ctor.params),
    );
  }
  const obj = await spec.make();
  try {
    await spec.healthy(obj);
    for (const [method, m] of Object.entries(spec.methods)) {
      if (m.params.length === 0) continue;
      await fc.assert(
        fc.asyncProperty(mutationArb(m.params), async (muts) => {
          const { args, mustRefuse } = build(m.params, muts);
          const where = `${spec.name}.${method}(${args.map(show).join(', ')})`;
          const call = m.call ?? ((o: any, ...a: unknown[]) => o[method](...a));
          const out = await settle(() => call(obj, ...args), m.settleMs ?? 2000);
          const threw = checkOutcome(where, component, out, mustRefuse, m.mayPend === true, muts.length === 1);
          if (threw) await spec.healthy(obj);
        }),
        runParams(seed, numRuns, m.params),
      );
    }
    await spec.healthy(obj);
  } finally {
    await spec.dispose?.(obj);
  }
}

/** Fuzzes a free function. */
export async function fuzzFunction(spec: FunctionSpec, seed: number, numRuns: number): Promise<void> {
  const component = spec.component ?? spec.name;
  await fc.assert(
    fc.asyncProperty(mutationArb(spec.params), async (muts) => {
      const { args, mustRefuse } = build(spec.params, muts);
      const where = `${spec.name}(${args.map(show).join(', ')})`;
      const out = await settle(() => spec.call(...args), spec.settleMs ?? 2000);
      checkOutcome(where, component, out, mustRefuse, spec.mayPend === true, muts.length === 1);
    }),
    runParams(seed, numRuns, spec.params),
  );
}

/** Public method names of a class (own prototype chain up to Object), for the coverage check. */
export function publicMethods(ctor: Function): string[] {
  const names = new Set<string>();
  for (let p = ctor.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === 'constructor' || k.startsWith('_')) continue;
      const d = Object.getOwnPropertyDescriptor(p, k)!;
      if (typeof d.value === 'function') names.add(k);
    }
  }
  return [...names].sort();
}
