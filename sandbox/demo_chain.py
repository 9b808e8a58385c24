"""The demo's rebuild chain: a component used by three tiers of modules is pushed.

low:main includes ``chain-base``; mid:main buildrequires low:main; top:main
buildrequires mid:main. A push to ``chain-base`` on the branch the modules pin
rebuilds low, then mid, then top; CI fails mid's rebuild, which stops the chain
at tier 2; the maintainer pushes a fixed mid modulemd, its build passes CI and
the chain resumes; at the end the three rebuilt modules move to ready together.
"""

from __future__ import annotations

from sqlalchemy import select

from models.rebuild_chain import RebuildChain
from sandbox.system import Sandbox

CHAIN_REF = "chain-1"  # the branch the modules pin; it maps to no koji target
TIERS = {  # module -> (its own components, the module stream it buildrequires)
    "low": (("chain-base", "low-pkg"), None),
    "mid": (("mid-pkg",), "low:main"),
    "top": (("top-pkg",), "mid:main"),
}
GATING = {"rules": [{"artifact": "module", "name": "*", "stream": "*",
                     "required": ["sandbox-ci.redhat-module.tier0.functional"]}]}  # fmt: skip


def chain_modulemd(components: tuple[str, ...], buildrequires: str | None, note: str = "") -> str:
    """A v2 stream document: every component at CHAIN_REF, one batch."""
    extra = ""
    if buildrequires:
        name, stream = buildrequires.split(":")
        extra = f"        {name}: [{stream}]\n"
    rpms = "".join(
        f"      {c}:\n        rationale: needed\n        ref: {CHAIN_REF}\n" for c in components
    )
    return (
        f"# {note}\n" if note else ""
    ) + (
        "document: modulemd\nversion: 2\ndata:\n  summary: A chained sandbox module\n"
        "  description: Rebuilt when what it is made of changes.\n"
        "  license:\n    module: [MIT]\n  dependencies:\n    - buildrequires:\n"
        f"        platform: [f43]\n{extra}      requires:\n        platform: [f43]\n"
        f"  components:\n    rpms:\n{rpms}"
    )  # fmt: skip


def build_tiers(box: Sandbox, pusher: str = "alice") -> None:
    """Import the components and build low, mid and top once, in order (each to ready)."""
    p = box.packager
    for components, _ in TIERS.values():
        for package in components:
            p.create_package(package, "1.0", branches=(CHAIN_REF,), pusher=pusher)
    for name, (components, buildrequires) in TIERS.items():
        p.create_module(name, "main", chain_modulemd(components, buildrequires), pusher=pusher)
        box.wait_for(lambda name=name: _ready(box, name), timeout=180,
                     what=f"module {name}:main to be ready")  # fmt: skip


def push_component(box: Sandbox, pusher: str = "alice") -> str:
    box.packager.bump("chain-base", CHAIN_REF)
    return box.packager.push("chain-base", CHAIN_REF, pusher=pusher)


def latest_chain(box: Sandbox) -> RebuildChain | None:
    with box.session_factory() as session:
        chain = session.scalars(select(RebuildChain).order_by(RebuildChain.id.desc())).first()
        if chain is not None:
            _ = [i.ns for i in chain.items]
        return chain


def wait_chain(box: Sandbox, states: tuple[str, ...], timeout: float = 300) -> RebuildChain:
    def settled() -> bool:
        chain = latest_chain(box)
        return chain is not None and chain.state in states

    box.wait_for(settled, timeout=timeout, what=f"the rebuild chain to be {'/'.join(states)}")
    chain = latest_chain(box)
    assert chain is not None
    return chain


def describe(chain: RebuildChain) -> list[str]:
    lines = [f"  chain #{chain.id} {chain.state}: {chain.trigger} by {chain.requester}"]
    if chain.reason:
        lines.append(f"    reason: {chain.reason}")
    lines += [
        f"    tier {i.tier} {i.ns}: {i.state} (module build #{i.module_build_id})"
        for i in chain.items
    ]
    return lines


def chain_scenario(box: Sandbox) -> RebuildChain:
    """Needs a box with the CI simulator on and module gating requiring its test case
    (``SandboxOptions(ci_outcomes={}, extra_settings={"gating": GATING})``)."""
    if box.ci_simulator is None:
        raise RuntimeError("chain_scenario needs the sandbox CI simulator (ci_outcomes)")
    print("chain: importing chain-base, low-pkg, mid-pkg, top-pkg; building low, mid, top")
    build_tiers(box)
    box.ci_simulator.outcomes["mid:main:*"] = "failed"  # CI fails mid's next build
    print(f"chain: pushing chain-base on {CHAIN_REF} as alice (CI will fail mid's rebuild)")
    push_component(box)
    failed = wait_chain(box, ("failed",))
    print("\n".join(describe(failed)))
    del box.ci_simulator.outcomes["mid:main:*"]
    print("chain: the maintainer fixes mid (a new modulemd commit) and pushes it as alice")
    components, buildrequires = TIERS["mid"]
    text = chain_modulemd(components, buildrequires, note="fixed")
    box.packager.update_module("mid", "main", text, pusher="alice")
    done = wait_chain(box, ("complete",))
    print("\n".join(describe(done)))
    return done


def _ready(box: Sandbox, name: str) -> bool:
    from models import ModuleBuild

    with box.session_factory() as session:
        states = session.scalars(select(ModuleBuild.state).where(ModuleBuild.name == name)).all()
    if "failed" in states:
        raise RuntimeError(f"module {name} failed to build")
    return "ready" in states


__all__ = ["CHAIN_REF", "GATING", "chain_scenario", "describe", "wait_chain"]
