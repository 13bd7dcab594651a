"""A small stand-in for the real scenario schema, so the loader is tested on its own.

It has what the loader must cope with: nested tables, an array of tables, a literal, bounds of
every kind, a dict and a list of scalars, a field validator and a cross-field validator.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(Frozen):
    name: str = Field("toy", description="Short name of the scenario.")
    description: str = ""

    @field_validator("name")
    @classmethod
    def _not_blank(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("must not be blank")
        return name


class Simulation(Frozen):
    months: int = Field(12, ge=1, description="Simulated months.")
    seeds: int = Field(2, ge=1, le=100)
    seed: int = Field(7, ge=0)


class HumanReview(Frozen):
    reviewers: int = Field(8, ge=0, description="Reviewers on duty.")
    overflow: Literal["wait", "fallback"] = "wait"
    score_band: float = Field(40.0, ge=0)
    share_reviewed: float = Field(0.5, gt=0, lt=1)
    enabled: bool = True


class Underwriting(Frozen):
    cutoff: float = Field(600.0, ge=300, le=850)
    hitl: HumanReview = HumanReview()


class Shock(Frozen):
    start_month: int = Field(ge=1)
    depth: float = Field(ge=0, le=1)
    kind: Literal["income", "revenue"] = "income"


class Macro(Frozen):
    shocks: tuple[Shock, ...] = Field((), description="Scheduled shocks.")
    tags: list[str] = []
    weights: dict[str, float] = {}


class Toy(Frozen):
    meta: Meta = Meta()
    simulation: Simulation = Simulation()
    underwriting: Underwriting = Underwriting()
    macro: Macro = Macro()

    @model_validator(mode="after")
    def _shocks_inside_horizon(self) -> Toy:
        for i, shock in enumerate(self.macro.shocks):
            if shock.start_month > self.simulation.months:
                raise ValueError(
                    f"macro.shocks[{i}].start_month = {shock.start_month} is after the last month "
                    f"({self.simulation.months})"
                )
        return self
