"""meso-formulary: a typed, validated, searchable catalogue of mesotherapy cocktails.

The library gives information, not medical advice: every figure it ships says where it came
from, and none of it replaces a practitioner's judgement or a product's labelling.

The public API is re-exported here but imported lazily (PEP 562), so that ``import
meso_formulary`` stays cheap for the command line: pydantic loads only when a model is used.
The literal ``__all__`` and the ``TYPE_CHECKING`` imports are what type checkers see
(:mod:`meso_formulary._lazy` says why both are needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meso_formulary._lazy import lazy_exports
from meso_formulary._version import __version__

__all__ = [
    "Administration",
    "AdviceBasis",
    "AftercareItem",
    "AftercareKind",
    "Area",
    "CatalogueBusy",
    "CatalogueError",
    "CatalogueFile",
    "Cocktail",
    "Coding",
    "CompositionLine",
    "Container",
    "CourseFact",
    "CourseFactKind",
    "CourseSchedule",
    "Device",
    "EffectKind",
    "ExpectedEffect",
    "Finding",
    "Indication",
    "IndicationId",
    "Ingredient",
    "IngredientClass",
    "InvalidInput",
    "MesoError",
    "NotFound",
    "Origin",
    "Pack",
    "Problem",
    "ProductType",
    "Protocol",
    "Range",
    "RegulatoryClaim",
    "RegulatoryStatus",
    "RuleRegistry",
    "SafetyFigure",
    "SearchError",
    "Severity",
    "Strength",
    "StrengthLimit",
    "StrengthRange",
    "Supplier",
    "Technique",
    "TrustError",
    "Unit",
    "UnitConversionError",
    "UnreadableInput",
    "__version__",
    "catalogue_json_schema",
    "check_catalogue",
    "convert",
    "default_registry",
    "dump_catalogue",
    "is_valid_cas",
    "name_key",
    "plan_course",
    "read_catalogue",
    "to_mg_per_ml",
    "validate",
]

_EXPORTS: dict[str, str] = {
    # errors
    "MesoError": "meso_formulary.errors",
    "Problem": "meso_formulary.errors",
    "InvalidInput": "meso_formulary.errors",
    "UnreadableInput": "meso_formulary.errors",
    "UnitConversionError": "meso_formulary.errors",
    "NotFound": "meso_formulary.errors",
    "CatalogueError": "meso_formulary.errors",
    "CatalogueBusy": "meso_formulary.errors",
    "SearchError": "meso_formulary.errors",
    "TrustError": "meso_formulary.errors",
    # units
    "Unit": "meso_formulary.units",
    "Strength": "meso_formulary.units",
    "convert": "meso_formulary.units",
    "to_mg_per_ml": "meso_formulary.units",
    # model
    "Administration": "meso_formulary.model",
    "SafetyFigure": "meso_formulary.model",
    "RegulatoryClaim": "meso_formulary.model",
    "ProductType": "meso_formulary.model",
    "Pack": "meso_formulary.model",
    "CourseFactKind": "meso_formulary.model",
    "CourseFact": "meso_formulary.model",
    "Container": "meso_formulary.model",
    "AdviceBasis": "meso_formulary.model",
    "AftercareItem": "meso_formulary.model",
    "AftercareKind": "meso_formulary.model",
    "Area": "meso_formulary.model",
    "CatalogueFile": "meso_formulary.model",
    "Cocktail": "meso_formulary.model",
    "Coding": "meso_formulary.model",
    "CompositionLine": "meso_formulary.model",
    "Device": "meso_formulary.model",
    "EffectKind": "meso_formulary.model",
    "ExpectedEffect": "meso_formulary.model",
    "Indication": "meso_formulary.model",
    "IndicationId": "meso_formulary.model",
    "Ingredient": "meso_formulary.model",
    "IngredientClass": "meso_formulary.model",
    "Origin": "meso_formulary.model",
    "Protocol": "meso_formulary.model",
    "Range": "meso_formulary.model",
    "RegulatoryStatus": "meso_formulary.model",
    "StrengthLimit": "meso_formulary.model",
    "StrengthRange": "meso_formulary.model",
    "Supplier": "meso_formulary.model",
    "Technique": "meso_formulary.model",
    # identifiers
    "is_valid_cas": "meso_formulary.identifiers",
    "name_key": "meso_formulary.identifiers",
    # schedule
    "plan_course": "meso_formulary.schedule",
    "CourseSchedule": "meso_formulary.schedule",
    # rules
    "Finding": "meso_formulary.rules",
    "Severity": "meso_formulary.rules",
    "RuleRegistry": "meso_formulary.rules",
    "validate": "meso_formulary.rules",
    "default_registry": "meso_formulary.rules",
    # files
    "read_catalogue": "meso_formulary.files",
    "check_catalogue": "meso_formulary.files",
    "dump_catalogue": "meso_formulary.files",
    "catalogue_json_schema": "meso_formulary.files",
}

if TYPE_CHECKING:
    from meso_formulary.errors import (
        CatalogueBusy,
        CatalogueError,
        InvalidInput,
        MesoError,
        NotFound,
        Problem,
        SearchError,
        TrustError,
        UnitConversionError,
        UnreadableInput,
    )
    from meso_formulary.files import (
        catalogue_json_schema,
        check_catalogue,
        dump_catalogue,
        read_catalogue,
    )
    from meso_formulary.identifiers import is_valid_cas, name_key
    from meso_formulary.model import (
        Administration,
        AdviceBasis,
        AftercareItem,
        AftercareKind,
        Area,
        CatalogueFile,
        Cocktail,
        Coding,
        CompositionLine,
        Container,
        CourseFact,
        CourseFactKind,
        Device,
        EffectKind,
        ExpectedEffect,
        Indication,
        IndicationId,
        Ingredient,
        IngredientClass,
        Origin,
        Pack,
        ProductType,
        Protocol,
        Range,
        RegulatoryClaim,
        RegulatoryStatus,
        SafetyFigure,
        StrengthLimit,
        StrengthRange,
        Supplier,
        Technique,
    )
    from meso_formulary.rules import Finding, RuleRegistry, Severity, default_registry, validate
    from meso_formulary.schedule import CourseSchedule, plan_course
    from meso_formulary.units import Strength, Unit, convert, to_mg_per_ml
else:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
