"""Maps: the Leaflet page (``leaflet``, ``view``, ``assets``, ``csp``) and the printed map (``printed``).

Both draw from the same rules (:mod:`geoapp.styles`) and ask the data only through a
:class:`~geoapp.data.catalog.Catalog`; neither knows Flask.
"""
