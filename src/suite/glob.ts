/**
 * Case-id globs. Ids are `/`-separated paths; `*` matches within one segment, `**` across segments,
 * `?` one character. A glob selects an id when it matches the whole id or a leading run of its
 * segments, so `core/binary/aten.add.Tensor` selects every case of that op (as a query does in the
 * WebGPU CTS), while `core/*` selects everything in the `core` suite.
 */
export function compileGlob(glob: string): (id: string) => boolean {
  const re = new RegExp(`^${globToRegExpSource(glob)}(?:/.*)?$`);
  return (id) => re.test(id);
}

/** Exact-match variant (no implied prefix): for waivers and fingerprints, where a glob means what it says. */
export function compileExactGlob(glob: string): (text: string) => boolean {
  const re = new RegExp(`^${globToRegExpSource(glob)}$`);
  return (text) => re.test(text);
}

function globToRegExpSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else {
      out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return out;
}
