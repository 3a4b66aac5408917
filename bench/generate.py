#!/usr/bin/env python3
"""Write a synthetic project of N rules as a Jobfile, a build.ninja, a Makefile and a Snakefile.

The project: N small inputs in/0.txt .. in/{N-1}.txt, one rule per input that strips its
comment lines (`sed '/^#/d' in/i.txt > out/i.txt`), and one final rule `all.txt` that reads
every output (`cat`, through `printf ... | xargs -0` so that 100,000 paths never hit the
kernel's limit on one argument). Each tool gets its own copy of the project in its own
directory, so that their outputs and state never meet.

    bench/generate.py --n 2000 --dir bench/work/n2000 [--tools job,ninja,make,snakemake]
                      [--command sed|trivial] [--style explicit|foreach]

--command trivial replaces every command by `: > OUT` (a shell builtin: one /bin/sh per
rule and nothing else), to measure the per-rule overhead of the tools themselves.

--style explicit (the default) writes the Jobfile as N named rules, like build.ninja;
--style foreach writes one rule with `foreach: {i: {glob: "in/*.txt"}}`.
"""

import argparse
import json
import os
import sys

SED = "sed '/^#/d'"
# printf is a shell builtin: the list of 100,000 paths never goes through execve as one argument.
CAT_ALL = "printf '%s\\0' out/*.txt | xargs -0 cat"
TOOLS = ("job", "ninja", "make", "snakemake")


def input_text(i):
    return f"# comment\nline {i} alpha\nline {i} beta\n"


def write_inputs(root, n):
    os.makedirs(os.path.join(root, "in"), exist_ok=True)
    os.makedirs(os.path.join(root, "out"), exist_ok=True)  # Make does not create directories
    for i in range(n):
        with open(os.path.join(root, "in", f"{i}.txt"), "w") as f:
            f.write(input_text(i))


def commands(kind):
    """(per-rule command, final command) with placeholders {IN} and {OUT}."""
    if kind == "sed":
        return f"{SED} {{IN}} > {{OUT}}", f"{CAT_ALL} > {{OUT}}"
    if kind == "trivial":
        return ": > {OUT}", ": > {OUT}"
    raise SystemExit(f"unknown command kind {kind!r}")


def yaml_scalar(s):
    """s as a YAML plain scalar when it can be one, else double-quoted (JSON is valid YAML)."""
    if s.startswith((":", "'", '"', "{", "[", "&", "*", "!", "|", ">", "%", "@", "#")) or ": " in s or " #" in s:
        return json.dumps(s)
    return s


def write_jobfile(root, n, kind, style):
    rule_cmd, final_cmd = commands(kind)
    rule_cmd = yaml_scalar(rule_cmd.format(IN="${in}", OUT="${out}"))
    final_cmd = yaml_scalar(final_cmd.format(OUT="${out}"))
    lines = ["version: 1", "", "rules:"]
    if style == "foreach":
        lines += [
            "  strip:",
            "    foreach:",
            '      i: {glob: "in/*.txt"}',
            '    inputs: ["in/${i}.txt"]',
            "    output: out/${i}.txt",
            f"    run: {rule_cmd}",
            "  all:",
            '    inputs: ["${rules.strip}"]',
            "    output: all.txt",
            f"    run: {final_cmd}",
        ]
    elif style == "explicit":
        for i in range(n):
            lines += [
                f"  s{i}:",
                f"    inputs: [in/{i}.txt]",
                f"    output: out/{i}.txt",
                f"    run: {rule_cmd}",
            ]
        lines += ["  all:", "    inputs:"]
        lines += [f"      - out/{i}.txt" for i in range(n)]
        lines += ["    output: all.txt", f"    run: {final_cmd}"]
    else:
        raise SystemExit(f"unknown style {style!r}")
    lines += ["", "targets:", "  default: [all]", ""]
    with open(os.path.join(root, "Jobfile"), "w") as f:
        f.write("\n".join(lines))


def write_ninja(root, n, kind):
    rule_cmd, final_cmd = commands(kind)
    out = [
        "rule strip",
        f"  command = {rule_cmd.format(IN='$in', OUT='$out')}",
        "rule all",
        f"  command = {final_cmd.format(OUT='$out')}",
        "",
    ]
    out += [f"build out/{i}.txt: strip in/{i}.txt" for i in range(n)]
    out.append("build all.txt: all $")
    out += [f"    out/{i}.txt $" for i in range(n)]
    out += ["", "default all.txt", ""]
    with open(os.path.join(root, "build.ninja"), "w") as f:
        f.write("\n".join(out))


def write_make(root, n, kind):
    rule_cmd, final_cmd = commands(kind)
    out = ["MAKEFLAGS += --no-builtin-rules", ".SUFFIXES:", "", "all.txt: \\"]
    out += [f"  out/{i}.txt \\" for i in range(n)]
    out += ["", f"\t{final_cmd.format(OUT='$@')}", ""]
    rule = rule_cmd.format(IN="$<", OUT="$@")
    for i in range(n):
        out += [f"out/{i}.txt: in/{i}.txt", f"\t{rule}"]
    out.append("")
    with open(os.path.join(root, "Makefile"), "w") as f:
        f.write("\n".join(out))


def write_snakefile(root, n, kind):
    rule_cmd, final_cmd = commands(kind)
    # Snakemake formats shell strings with str.format: {input} and {output}; the Python string
    # literal needs the backslash of \0 doubled.
    rule_cmd = rule_cmd.format(IN="{input}", OUT="{output}").replace("\\", "\\\\")
    final_cmd = final_cmd.format(OUT="{output}").replace("\\", "\\\\")
    text = f'''N = {n}

rule all:
    input: expand("out/{{i}}.txt", i=range(N))
    output: "all.txt"
    shell: "{final_cmd}"

rule strip:
    input: "in/{{i}}.txt"
    output: "out/{{i}}.txt"
    shell: "{rule_cmd}"
'''
    with open(os.path.join(root, "Snakefile"), "w") as f:
        f.write(text)


def generate(base, n, tools, kind="sed", style="explicit"):
    for tool in tools:
        root = os.path.join(base, tool)
        write_inputs(root, n)
        if tool == "job":
            write_jobfile(root, n, kind, style)
        elif tool == "ninja":
            write_ninja(root, n, kind)
        elif tool == "make":
            write_make(root, n, kind)
        elif tool == "snakemake":
            write_snakefile(root, n, kind)
        else:
            raise SystemExit(f"unknown tool {tool!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, required=True, help="number of rules (inputs)")
    p.add_argument("--dir", required=True, help="directory to write into (one subdirectory per tool)")
    p.add_argument("--tools", default=",".join(TOOLS))
    p.add_argument("--command", choices=("sed", "trivial"), default="sed")
    p.add_argument("--style", choices=("explicit", "foreach"), default="explicit")
    a = p.parse_args()
    generate(a.dir, a.n, [t for t in a.tools.split(",") if t], a.command, a.style)


if __name__ == "__main__":
    sys.exit(main())
