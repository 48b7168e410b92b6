"""The catalogue's closed vocabularies: ingredient classes, origins, indications, areas ...

They are plain :class:`~enum.StrEnum` types with no other dependency, so that code which only
needs the vocabulary (the search engine behind ``meso search``, the schema's CHECK lists)
does not load pydantic. :mod:`meso_formulary.model` re-exports every one of them; import
them from either.
"""

from __future__ import annotations

from enum import StrEnum


class IngredientClass(StrEnum):
    """What kind of active (or excipient) an ingredient is."""

    VITAMIN = "vitamin"
    MINERAL = "mineral"
    TRACE_ELEMENT = "trace_element"
    AMINO_ACID = "amino_acid"
    HYALURONIC_ACID = "hyaluronic_acid"
    GLYCOSAMINOGLYCAN = "glycosaminoglycan"
    PEPTIDE = "peptide"
    GROWTH_FACTOR = "growth_factor"
    ANTIOXIDANT = "antioxidant"
    COENZYME = "coenzyme"
    NUCLEIC_ACID = "nucleic_acid"
    PLANT_EXTRACT = "plant_extract"
    LIPOLYTIC = "lipolytic"
    DEPIGMENTING = "depigmenting"
    HAIR_GROWTH_DRUG = "hair_growth_drug"
    VASOACTIVE = "vasoactive"
    ANAESTHETIC = "anaesthetic"
    ENZYME = "enzyme"
    EXCIPIENT = "excipient"
    OTHER = "other"


class Origin(StrEnum):
    """Where an ingredient comes from (clients exclude some: fish, bovine, human)."""

    SYNTHETIC = "synthetic"
    BIOTECHNOLOGICAL = "biotechnological"
    PLANT = "plant"
    FISH = "fish"
    BOVINE = "bovine"
    PORCINE = "porcine"
    AVIAN = "avian"
    HUMAN = "human"
    MINERAL = "mineral"


class IndicationId(StrEnum):
    """The concerns the catalogue is organised by."""

    SKIN_REJUVENATION = "skin_rejuvenation"
    SKIN_LAXITY = "skin_laxity"
    DARK_CIRCLES = "dark_circles"
    ACNE_SCARRING = "acne_scarring"
    STRETCH_MARKS = "stretch_marks"
    CELLULITE = "cellulite"
    SKIN_TIGHTENING = "skin_tightening"
    HYPERPIGMENTATION = "hyperpigmentation"
    ALOPECIA = "alopecia"
    LOCALISED_FAT = "localised_fat"
    COLLAGEN_LOSS = "collagen_loss"


class Area(StrEnum):
    """A treatment area."""

    FACE = "face"
    FOREHEAD = "forehead"
    PERIORBITAL = "periorbital"
    CHEEKS = "cheeks"
    PERIORAL = "perioral"
    JAWLINE = "jawline"
    SUBMENTAL = "submental"
    NECK = "neck"
    DECOLLETAGE = "decolletage"
    HANDS = "hands"
    SCALP = "scalp"
    ARMS = "arms"
    ABDOMEN = "abdomen"
    FLANKS = "flanks"
    BACK = "back"
    BREASTS = "breasts"
    BUTTOCKS = "buttocks"
    HIPS = "hips"
    THIGHS = "thighs"
    KNEES = "knees"


class Technique(StrEnum):
    """How the product is placed in the skin."""

    EPIDERMAL = "epidermal"
    NAPPAGE = "nappage"
    PAPULE = "papule"
    POINT_BY_POINT = "point_by_point"
    LINEAR_RETROGRADE = "linear_retrograde"
    MICRONEEDLING = "microneedling"
    SUBCUTANEOUS = "subcutaneous"


class Device(StrEnum):
    """What delivers the product."""

    SYRINGE = "syringe"
    INJECTOR_GUN = "injector_gun"
    MICRONEEDLING_PEN = "microneedling_pen"
    CANNULA = "cannula"


class RegulatoryStatus(StrEnum):
    """How an item is placed on the market."""

    MEDICINAL_PRODUCT = "medicinal_product"
    MEDICAL_DEVICE = "medical_device"
    COSMETIC = "cosmetic"
    COMPOUNDED = "compounded"
    UNKNOWN = "unknown"


class AftercareKind(StrEnum):
    """A kind of aftercare advice; ``NO_MAKEUP`` drives the "makeup allowed from" milestone."""

    NO_MAKEUP = "no_makeup"
    NO_HAIR_WASH = "no_hair_wash"
    NO_EXERCISE = "no_exercise"
    NO_HEAT = "no_heat"
    NO_SUN = "no_sun"
    NO_MASSAGE = "no_massage"
    NO_ALCOHOL = "no_alcohol"
    NO_ACTIVE_SKINCARE = "no_active_skincare"
    OTHER = "other"


class EffectKind(StrEnum):
    """An expected, usually passing, effect of a session."""

    PINPRICK_MARKS = "pinprick_marks"
    BLEBS = "blebs"
    REDNESS = "redness"
    SWELLING = "swelling"
    TENDERNESS = "tenderness"
    BRUISING = "bruising"
    ITCHING = "itching"
    BURNING = "burning"
    NUMBNESS = "numbness"
    INDURATION = "induration"


__all__ = [
    "AftercareKind",
    "Area",
    "Device",
    "EffectKind",
    "IndicationId",
    "IngredientClass",
    "Origin",
    "RegulatoryStatus",
    "Technique",
]
