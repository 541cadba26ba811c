"""babyskin in the clinic's standards: HL7 FHIR R4 resources (:mod:`.fhir`) and a CDS Hooks service
(:mod:`.cds`). Pure functions from the knowledge base, findings and assessments to JSON and back."""
