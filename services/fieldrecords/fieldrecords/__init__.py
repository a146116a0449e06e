"""EMSS fieldrecords service: electronic field records of the 15 form kinds, check-ins, photos, signatures."""
