// Live cost estimate on the product page: hourly price of the chosen InstanceType × 730 hours.
(function () {
  "use strict";
  var pricesNode = document.getElementById("instance-prices");
  var select = document.querySelector('#request-form [name="InstanceType"]');
  var text = document.getElementById("estimate-text");
  if (!pricesNode || !select || !text) { return; }
  // A flat figure set by the platform team does not follow the instance type.
  var card = document.getElementById("cost-estimate");
  if (card && card.getAttribute("data-basis") === "flat") { return; }
  var prices = JSON.parse(pricesNode.textContent);
  function render() {
    var hourly = prices[select.value];
    if (hourly === undefined) {
      text.textContent = "No estimate for this choice.";
      text.className = "muted";
      return;
    }
    var perHour = Number(hourly);
    text.className = "";
    text.textContent = "";
    var hour = document.createElement("span");
    hour.id = "estimate-hour";
    hour.textContent = "$" + perHour.toFixed(4);
    var month = document.createElement("span");
    month.id = "estimate-month";
    month.textContent = "$" + (perHour * 730).toFixed(2);
    text.append(hour, " per hour · about ", month, " per month for " + select.value);
  }
  select.addEventListener("change", render);
})();
