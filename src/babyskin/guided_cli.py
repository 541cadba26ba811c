"""``babyskin check``: the guided check as a terminal dialogue (rich prompts) or JSON lines."""

from __future__ import annotations

import json
import sys

from rich.console import Console
from rich.prompt import Prompt

from babyskin.engine.assess import default_engine
from babyskin.engine.guided import SCREEN_ID, Answer, Question, answer_screen, apply_answer, next_step
from babyskin.errors import InputError
from babyskin.models import Audience, Findings
from babyskin.parse import findings_from_options

ANSWERS: dict[str, Answer] = {"y": "yes", "yes": "yes", "n": "no", "no": "no", "?": "not_sure",
                              "not sure": "not_sure", "not_sure": "not_sure", "ns": "not_sure"}


def _opening_prompt(console: Console) -> Findings:
    console.print("[bold]A few questions about your baby's skin.[/] Press Enter to skip any.")
    while True:
        try:
            return findings_from_options(
                age=Prompt.ask("How old is your baby? (e.g. 10d, 3w, 5m)", default="") or None,
                where=Prompt.ask("Where are the spots? (e.g. nose, cheeks, trunk)", default="") or None,
                lesion=Prompt.ask("What do they look like? (e.g. papule, pustule, vesicle, patch)",
                                  default="") or None,
                color=Prompt.ask("What colour? (e.g. white, red)", default="") or None,
            )
        except InputError as error:
            console.print(f"[red]{error}[/] Please try again.")


def run_check(console: Console, audience: Audience, *, json_lines: bool = False) -> None:
    engine = default_engine()
    if json_lines:
        _run_json(engine, audience)
        return
    findings = _opening_prompt(console)
    engine.assess(findings, audience)  # validates the words before any question
    asked: list[str] = []
    while True:
        step = next_step(engine, findings, tuple(asked), audience)
        if step.done or step.question is None:
            from babyskin.answer.render import print_assessment

            console.print(f"[dim]Done after {len(asked)} question(s): {step.stop_reason}.[/]")
            print_assessment(console, step.assessment)
            return
        question = step.question
        if question.finding == SCREEN_ID:
            findings = _ask_screen(console, question, findings)
            asked.append(SCREEN_ID)
            continue
        if question.help:
            console.print(f"[italic]{question.help}[/]")
        tag = "[red](safety)[/] " if question.why == "safety" else ""
        reply = Prompt.ask(f"{tag}{question.text} [yes/no/not sure]", default="not sure")
        answer = ANSWERS.get(reply.strip().lower())
        if answer is None:
            console.print("Please answer yes, no or not sure.")
            continue
        asked.append(question.finding)
        findings = apply_answer(findings, question.finding, answer)


def _ask_screen(console: Console, question: Question, findings: Findings) -> Findings:
    """The "any of these?" question: numbers of the signs there, 0 for none, Enter for not sure."""
    console.print(f"[bold red](safety)[/] {question.text}")
    for i, option in enumerate(question.options, 1):
        console.print(f"  {i}. {option.label}")
    while True:
        reply = Prompt.ask("Numbers of those there (e.g. 1,3), 0 for none, Enter if not sure",
                           default="").strip()
        if not reply:
            return answer_screen(findings, "not_sure")
        if reply == "0":
            return answer_screen(findings, "no")
        try:
            picked = [question.options[int(n) - 1].finding for n in reply.replace(" ", "").split(",")]
        except (ValueError, IndexError):
            console.print(f"Please give numbers from 1 to {len(question.options)}, or 0 for none.")
            continue
        return answer_screen(findings, "yes", picked)


def _run_json(engine, audience: Audience) -> None:
    """Reads one JSON object per line: first the findings, then {"answer": "yes|no|not_sure"} (for the
    screening question also "ticked": [signs])."""
    from babyskin.answer.render import assessment_json
    from babyskin.parse import findings_from_dict

    lines = iter(sys.stdin)
    first = next(lines, "{}")
    findings = findings_from_dict(json.loads(first or "{}"))
    asked: list[str] = []
    while True:
        step = next_step(engine, findings, tuple(asked), audience)
        if step.done or step.question is None:
            print(json.dumps({"done": True, "asked": asked, "stop_reason": step.stop_reason,
                              "assessment": assessment_json(step.assessment)}), flush=True)
            return
        print(json.dumps({"done": False, "question": step.question.model_dump()}), flush=True)
        line = next(lines, None)
        if line is None:
            return
        try:
            reply = json.loads(line)
        except json.JSONDecodeError:
            raise InputError(
                f"expected a JSON line like {{\"answer\": \"yes\"}}, got {line.strip()!r}"
            ) from None
        answer = ANSWERS.get(str(reply.get("answer", "")).lower()) if isinstance(reply, dict) else None
        if answer is None:
            raise InputError("answer must be one of yes, no, not_sure")
        asked.append(step.question.finding)
        if step.question.finding == SCREEN_ID:
            ticked = reply.get("ticked") or []
            if not isinstance(ticked, list):
                raise InputError('"ticked" must be a list of the screening signs that are there')
            findings = answer_screen(findings, answer, [str(w) for w in ticked])
        else:
            findings = apply_answer(findings, step.question.finding, answer)
