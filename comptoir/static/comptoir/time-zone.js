// The customer's time zone, sent with the new-ticket form so that "expect our answer by ..." is
// said on their own clock (comptoir.sla.promise). Without it (an old browser, scripts off), the
// team's clock is used; the server keeps only a name its zoneinfo knows.
(function () {
  "use strict";
  var field = document.querySelector('input[name="time_zone"]');
  if (!field) {
    return;
  }
  try {
    field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    field.value = "";
  }
})();
