"""The vocabularies a search filters and counts by (ingredient classes, origins,
indications, areas and techniques, client conditions and allergen groups) and the severity
of a rule finding.

They are plain :class:`~enum.StrEnum` types with no other dependency, so that the search
engine behind ``meso search`` does not load pydantic (start-up time). The model's other
vocabularies (devices, regulatory status, aftercare, effects) live in
:mod:`meso_formulary.model`, which re-exports the search's; import them from either.
:class:`Severity` is shared by the rule engine and the rule tables, which both import it
from here (``meso_formulary.rules`` re-exports it).
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
    ACNE = "acne"
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


class Severity(StrEnum):
    """How much a finding matters: an error blocks publication, a warning asks for a look."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for errors, 1 for warnings, 2 for information (the order findings are listed in)."""
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class ConditionId(StrEnum):
    """A client condition that may rule a cocktail out: the closed vocabulary screening uses.

    Names, lay words in six languages, codes and what each rules out are data
    (``reference/conditions.yaml``, :func:`meso_formulary.reference.conditions`).
    """

    PREGNANCY = "pregnancy"
    BREASTFEEDING = "breastfeeding"
    PREGNANCY_PLANNED = "pregnancy-planned"
    CHILDBEARING_POTENTIAL_NO_CONTRACEPTION = "childbearing-potential-no-contraception"
    ANTICOAGULANTS = "anticoagulants"
    BLEEDING_DISORDER = "bleeding-disorder"
    ACTIVE_SKIN_INFECTION = "active-skin-infection"
    AUTOIMMUNE_DISEASE = "autoimmune-disease"
    KELOID_TENDENCY = "keloid-tendency"
    ISOTRETINOIN_RECENT = "isotretinoin-recent"
    RECENT_LASER = "recent-laser"
    RECENT_FACIAL_SURGERY = "recent-facial-surgery"
    ACTIVE_CANCER = "active-cancer"
    UNCONTROLLED_HYPERTENSION = "uncontrolled-hypertension"
    DYSPHAGIA = "dysphagia"
    UNDER_18 = "under-18"
    FISH_ALLERGY = "fish-allergy"
    SOY_ALLERGY = "soy-allergy"
    PEANUT_ALLERGY = "peanut-allergy"
    EGG_ALLERGY = "egg-allergy"
    AMIDE_ANAESTHETIC_ALLERGY = "amide-anaesthetic-allergy"
    ESTER_ANAESTHETIC_ALLERGY = "ester-anaesthetic-allergy"
    HYALURONIC_ACID_ALLERGY = "hyaluronic-acid-allergy"
    GRAM_POSITIVE_PROTEIN_ALLERGY = "gram-positive-protein-allergy"
    SEVERE_ALLERGY_HISTORY = "severe-allergy-history"


class AllergenGroupId(StrEnum):
    """A group of ingredients that one allergy rules out together (by origin or chemistry)."""

    AMIDE_LOCAL_ANAESTHETICS = "amide-local-anaesthetics"
    ESTER_LOCAL_ANAESTHETICS = "ester-local-anaesthetics"
    FISH_DERIVED = "fish-derived"
    SOY_DERIVED = "soy-derived"
    EGG_DERIVED = "egg-derived"
    AVIAN_DERIVED = "avian-derived"
    BOVINE_DERIVED = "bovine-derived"
    OVINE_DERIVED = "ovine-derived"
    PORCINE_DERIVED = "porcine-derived"
    HUMAN_DERIVED = "human-derived"
    STREPTOCOCCAL_FERMENTATION = "streptococcal-fermentation"


class Language(StrEnum):
    """The languages the search vocabulary (concern, area and screening words) is in."""

    EN = "en"
    PT = "pt"
    ES = "es"
    FR = "fr"
    DE = "de"
    IT = "it"


__all__ = [
    "AllergenGroupId",
    "Area",
    "ConditionId",
    "IndicationId",
    "IngredientClass",
    "Language",
    "Origin",
    "Severity",
    "Technique",
]
