/**
 * Hidden per-object tags: one private field stamped onto objects the memory
 * pools own.
 *
 * How: `TagBase`'s constructor returns the object it is given, so
 * `new Stamp(obj)` runs the class-field initialiser of `Stamp` on `obj`
 * itself and installs the private field `#tag` on it (the "return override"
 * trick the class-fields spec allows). The field is invisible to
 * `Object.keys`, `JSON.stringify`, spread and proxies; only this module can
 * read it, so a tag cannot be forged or copied.
 *
 * Why: pools must tell their own objects from foreign ones and released ones
 * from live ones on every `release()`. A WeakMap keyed by the object costs a
 * hash lookup per call (about 50 ns in V8 11) and makes every GC walk its
 * ephemeron table; a private field is an in-object slot read through an
 * inline cache (about 1 ns), and objects that come from one factory all take
 * the same hidden-class transition, so the sites stay monomorphic.
 *
 * Cost to the tagged object: one extra property slot; its hidden class
 * differs from untagged objects of the same class (code that handles both
 * may see two shapes).
 */

class TagBase {
  constructor(target: object) {
    // Return override: `this` inside Stamp is `target`.
    return target as TagBase;
  }
}

class Stamp extends TagBase {
  #tag: unknown;
  constructor(target: object, value: unknown) {
    super(target);
    this.#tag = value;
  }

  static has(obj: object): boolean {
    return #tag in obj;
  }

  static get(obj: object): unknown {
    return (obj as Stamp).#tag;
  }

  static set(obj: object, value: unknown): void {
    (obj as Stamp).#tag = value;
  }
}

/**
 * Stamps a hidden tag onto `obj` (once per object; a second stamp throws TypeError).
 * @example tag(obj, 3); tagOf(obj) // 3
 */
export function tag(obj: object, value: unknown): void {
  new Stamp(obj, value);
}

/**
 * Whether `obj` carries a tag.
 * @example isTagged({}) // false
 */
export const isTagged: (obj: object) => boolean = Stamp.has;

/**
 * The tag of a tagged object (call only after `isTagged`, else TypeError).
 * @example if (isTagged(o)) tagOf(o)
 */
export const tagOf: (obj: object) => unknown = Stamp.get;

/**
 * Replaces the tag of a tagged object.
 * @example retag(o, 4)
 */
export const retag: (obj: object, value: unknown) => void = Stamp.set;
