"""The data APIs as functions that know nothing of Flask: ``/api`` (:mod:`.layers`) and
OGC API – Features under ``/ogc`` (:mod:`.ogc`, its OpenAPI document :mod:`.openapi`)."""
