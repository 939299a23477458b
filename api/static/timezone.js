// Tell the server the reader's time zone (an IANA name such as "Africa/Bamako"), so the
// dashboard shows instants in local time; without this cookie it shows UTC.
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      document.cookie = "acip_tz=" + encodeURIComponent(zone) +
        "; path=/; max-age=31536000; samesite=strict";
    }
  } catch (e) { /* an old browser: instants stay in UTC */ }
})();
