"""The ten key factors of the WCO Revised Arusha Declaration (2003)."""

from __future__ import annotations

from domain.vocabulary import Vocabulary


class KeyFactor(Vocabulary):
    LEADERSHIP_AND_COMMITMENT = "leadership_and_commitment"
    REGULATORY_FRAMEWORK = "regulatory_framework"
    TRANSPARENCY = "transparency"
    AUTOMATION = "automation"
    REFORM_AND_MODERNIZATION = "reform_and_modernization"
    AUDIT_AND_INVESTIGATION = "audit_and_investigation"
    CODE_OF_CONDUCT = "code_of_conduct"
    HUMAN_RESOURCE_MANAGEMENT = "human_resource_management"
    MORALE_AND_ORGANIZATIONAL_CULTURE = "morale_and_organizational_culture"
    RELATIONSHIP_WITH_PRIVATE_SECTOR = "relationship_with_private_sector"


ALL_KEY_FACTORS: tuple[KeyFactor, ...] = tuple(KeyFactor)
