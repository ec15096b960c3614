// The exact command lines that connect an engine, as an i-PI client, to a server at a given address:
// `anharm serve`, ASE's SocketClient (any ASE calculator: GPAW, foundation models…), LAMMPS
// `fix ipi` and Quantum ESPRESSO `pw.x --ipi` (PW user guide 3.6: `--ipi host:port`, or
// `--ipi name:UNIX` for the socket /tmp/ipi_name). Pure strings (isomorphic): printed by
// `anharm engines clients` and by `anharm engines label` when its server starts (docs/engines.md).

/** Where the clients connect: a TCP host and port, or a UNIX socket name (/tmp/ipi_<name>). */
export type IpiTarget = { host: string; port: number } | { unix: string };

export interface ClientCommandOptions {
  /** Potential file for `anharm serve` (placeholder POTENTIAL.json). */
  potential?: string;
  /** Structure file giving species and atom order (placeholder POSCAR). */
  structure?: string;
}

export interface ClientCommands {
  /** `anharm serve …` (one line). */
  anharm: string;
  /** A shell here-document running ASE's SocketClient (replace the `atoms.calc = …` line). */
  ase: string;
  /** The LAMMPS input lines that replace the integrator (comment lines start with #). */
  lammps: string;
  /** `pw.x --ipi …` (with the pw.x input it needs). */
  qe: string;
}

export const ENGINE_NAMES = ['anharm', 'ase', 'lammps', 'qe'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Quote a word for a POSIX shell unless it is plainly safe. */
export function shellQuote(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** A Python string literal (JSON strings are valid Python literals). */
const py = (s: string) => JSON.stringify(s);

/** The client command lines for a server reachable at `target`. */
export function clientCommands(target: IpiTarget, o: ClientCommandOptions = {}): ClientCommands {
  const potential = shellQuote(o.potential ?? 'POTENTIAL.json');
  const structure = o.structure ?? 'POSCAR';
  const tcp = 'host' in target;
  const where = tcp ? `--address ${shellQuote(target.host)} --port ${target.port}` : `--unix ${shellQuote(target.unix)}`;
  const anharm = `anharm serve --potential ${potential} --structure ${shellQuote(structure)} ${where} --wait 600`;

  const ase = [
    `python3 - <<'EOF'`,
    ...(tcp ? ['import socket'] : []),
    `from ase.io import read`,
    `from ase.calculators.socketio import SocketClient`,
    `atoms = read(${py(structure)})  # species and atom order of the server's structures`,
    `atoms.calc = ...  # your ASE calculator: GPAW(...), a MACE/CHGNet calculator, ...`,
    tcp ? `client = SocketClient(host=${py(target.host)}, port=${target.port})` : `client = SocketClient(unixsocket=${py(target.unix)})`,
    // ASE sends a message in several small writes: without TCP_NODELAY each configuration waits
    // ~40 ms for a delayed ACK (docs/engines.md, bench/ipi.bench.ts)
    ...(tcp ? ['client.protocol.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else ~40 ms lost per configuration'] : []),
    `client.run(atoms, use_stress=True)  # returns when the server sends EXIT`,
    `EOF`,
  ].join('\n');

  const lammps = [
    `# end in.lammps (units metal; the atoms, types and order of ${structure}, e.g. read_data; your pair_style) with:`,
    tcp ? `fix 1 all ipi ${target.host} ${target.port}` : `fix 1 all ipi ${target.unix} 31415 unix`,
    `neigh_modify every 1 delay 0 check no  # configurations need not be close: rebuild every time`,
    `run 100000000  # stops when the server sends EXIT`,
    `# and run: lmp -in in.lammps`,
  ].join('\n');

  const qe = [
    `# pw.in: calculation='scf', tprnfor=.true., tstress=.true., the atoms of ${structure} in the same order`,
    `pw.x --ipi ${tcp ? `${target.host}:${target.port}` : `${target.unix}:UNIX`} -in pw.in > pw.out`,
  ].join('\n');

  return { anharm, ase, lammps, qe };
}

/** Section titles of the text form (`## title`). */
export const ENGINE_TITLES: Record<EngineName, string> = {
  anharm: 'anharm (a built-in potential)',
  ase: 'ASE SocketClient (any ASE calculator)',
  lammps: 'LAMMPS (fix ipi)',
  qe: 'Quantum ESPRESSO (pw.x --ipi)',
};

/** The commands as text: one "## title" section per engine, blank line between sections. */
export function formatClientCommands(target: IpiTarget, cmds: ClientCommands, engines: readonly EngineName[] = ENGINE_NAMES): string {
  const at = 'host' in target ? `${target.host}:${target.port} (TCP)` : `/tmp/ipi_${target.unix} (UNIX socket)`;
  const out = [`# i-PI server at ${at}: start any number of engines, at any time, with one of:`];
  for (const e of engines) out.push('', `## ${ENGINE_TITLES[e]}`, cmds[e]);
  return out.join('\n') + '\n';
}
