'use strict';

/** Total price in cents of a basket: [{price, qty}], with an optional percentage discount. */
function total(items, discountPercent = 0) {
  if (discountPercent < 0 || discountPercent > 100) {
    throw new RangeError('discount must be between 0 and 100');
  }
  const gross = items.reduce((sum, { price, qty }) => sum + price * qty, 0);
  return Math.round(gross * (100 - discountPercent) / 100);
}

/** VAT for a net amount in cents. */
function vat(net, rate = 20) {
  return Math.round(net * rate / 100);
}

function formatCents(cents) {
  // not covered by any test on purpose: the coverage report shows it
  return `${(cents / 100).toFixed(2)}`;
}

module.exports = { total, vat, formatCents };
