"""CodeBuild's buildspec semantics (version 0.2), to run a buildspec's phases here with stand-ins
for the tools that need the internet or AWS:

- the phases run in order install, pre_build, build, post_build, in one shell session: a variable
  exported or a directory entered by one command holds for the next (every command runs in bash,
  as `env.shell: bash` asks, with the session's variables and working directory carried over);
- a command that exits non-zero fails its phase, and the phase's remaining commands do not run;
- after a failed phase, `on-failure: ABORT` ends the build; otherwise (CONTINUE, CodeBuild's
  default for build) the next phase runs, with CODEBUILD_BUILD_SUCCEEDING=0, which is how
  post_build comes to run after a failed build;
- artifacts are collected only from a build that succeeded.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PHASES = ("install", "pre_build", "build", "post_build")


@dataclass
class Run:
    phases: dict[str, str] = field(default_factory=dict)  # phase -> SUCCEEDED | FAILED
    failed_command: str | None = None
    output: str = ""

    @property
    def succeeded(self) -> bool:
        return bool(self.phases) and all(v == "SUCCEEDED" for v in self.phases.values())


def run(buildspec: dict[str, Any], workdir: Path, environment: dict[str, str]) -> Run:
    """Run the buildspec's phases in `workdir`; `environment` is the build's environment
    (CodeBuild's variables, the project's, the parameter-store values), which overrides the
    buildspec's `env.variables` as in CodeBuild."""
    result = Run()
    state = workdir / ".codebuild-state"
    state.write_text("")
    cwd = workdir
    succeeding = True
    # The build's own environment overrides the buildspec's `env.variables`, as in CodeBuild.
    declared = (buildspec.get("env") or {}).get("variables") or {}
    variables = {**{k: str(v) for k, v in declared.items()}, **environment}
    for name in PHASES:
        phase = (buildspec.get("phases") or {}).get(name)
        if phase is None:
            continue
        variables["CODEBUILD_BUILD_SUCCEEDING"] = "1" if succeeding else "0"
        phase_ok = True
        for command in phase.get("commands") or []:
            script = (
                f"source {shlex.quote(str(state))}\n"
                f"export CODEBUILD_BUILD_SUCCEEDING={variables['CODEBUILD_BUILD_SUCCEEDING']}\n"
                f"cd {shlex.quote(str(cwd))}\n"
                f"{command}\n"
                "__status=$?\n"
                f"export -p > {shlex.quote(str(state))}.next\n"
                f"pwd > {shlex.quote(str(state))}.cwd\n"
                "exit $__status\n"
            )
            completed = subprocess.run(
                ["bash", "-c", script],
                env={**os.environ, **variables},
                capture_output=True,
                text=True,
                check=False,
                timeout=300,
            )
            result.output += f"$ {command}\n{completed.stdout}{completed.stderr}"
            if completed.returncode != 0:
                phase_ok = False
                result.failed_command = result.failed_command or command
                break
            (state.parent / (state.name + ".next")).replace(state)
            cwd = Path((state.parent / (state.name + ".cwd")).read_text().strip())
        result.phases[name] = "SUCCEEDED" if phase_ok else "FAILED"
        if not phase_ok:
            succeeding = False
            default = "CONTINUE" if name == "build" else "ABORT"
            if phase.get("on-failure", default) == "ABORT":
                break
    return result


def artifacts(buildspec: dict[str, Any], workdir: Path, run: Run) -> list[str]:
    """The files the build uploads: none unless it succeeded."""
    if not run.succeeded:
        return []
    found = []
    for pattern in (buildspec.get("artifacts") or {}).get("files") or []:
        found += [p.relative_to(workdir).as_posix() for p in workdir.glob(pattern) if p.is_file()]
    return sorted(found)
