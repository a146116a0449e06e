"""The rules of field work, in plain Python: who may file what where (filing), check-in flags
(checkins, geo), the 15 forms (forms), sampling trips (trips), who sees what (access). Photo and
face checks are shared with the confirmation service: emss_common.imaging."""
