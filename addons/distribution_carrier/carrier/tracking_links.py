"""Public tracking pages of well-known carriers, by Karrio carrier name.

A customer follows a parcel on its carrier's own site; these are the pages
those carriers publish for a tracking number (``{}``). A carrier account's
"Tracking URL" overrides them; carriers missing here fall back to the link the
carrier (or Karrio) returned at booking.

>>> public_tracking_url("ups", "", "1Z999")
'https://www.ups.com/track?tracknum=1Z999'
>>> public_tracking_url("", "fedex_ground", "7946")
'https://www.fedex.com/fedextrack/?trknbr=7946'
>>> public_tracking_url("generic", "standard_service", "X1")
''
"""

from urllib.parse import quote

PUBLIC_TRACKING_URLS = {
    "ups": "https://www.ups.com/track?tracknum={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "dhl_express": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={}",
    "dhl_parcel_de": "https://www.dhl.de/en/privatkunden/pakete-empfangen/verfolgen.html?piececode={}",
    "deutschepost": "https://www.deutschepost.de/sendung/simpleQueryResult.html?form.sendungsnummer={}",
    "canadapost": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={}",
    "purolator": "https://www.purolator.com/en/shipping/tracker?pin={}",
    "royalmail": "https://www.royalmail.com/track-your-item#/tracking-results/{}",
    "parcelforce": "https://www.parcelforce.com/track-trace?trackNumber={}",
    "dpd": "https://tracking.dpd.de/status/en_US/parcel/{}",
    "gls": "https://gls-group.com/track/{}",
    "colissimo": "https://www.laposte.fr/outils/suivre-vos-envois?code={}",
    "chronopost": "https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT={}",
    "australiapost": "https://auspost.com.au/mypost/track/details/{}",
    "tnt": "https://www.tnt.com/express/en_us/site/shipping-tools/tracking.html?searchType=con&cons={}",
    "aramex": "https://www.aramex.com/us/en/track/results?ShipmentNumber={}",
}


def public_tracking_url(carrier_name, service_code, tracking_number):
    """The carrier's public page for ``tracking_number``, or ''.

    The carrier is named by Karrio's carrier name or, failing that, by the
    prefix of a Karrio service code (``ups_ground`` → ``ups``).
    """
    if not tracking_number:
        return ""
    template = PUBLIC_TRACKING_URLS.get((carrier_name or "").lower())
    if template is None and service_code:
        service = service_code.lower()
        prefixes = [
            key for key in PUBLIC_TRACKING_URLS if service.startswith(key + "_")
        ]
        if prefixes:
            template = PUBLIC_TRACKING_URLS[max(prefixes, key=len)]
    return template.format(quote(tracking_number, safe="")) if template else ""
