// Add Payment Method in production: the payment gateway's own card element (Stripe's Payment
// Element) takes the card, so its number never reaches this page or our Worker. Confirming the
// setup with Stripe, then posting only the setup's id, lets the Worker read the card from Stripe.
(function () {
  'use strict';
  var form = document.getElementById('card-element-form');
  if (!form || typeof window.Stripe !== 'function') return;
  var data = form.dataset;
  var stripe = window.Stripe(data.publishableKey, { stripeAccount: data.account });
  var elements = stripe.elements({ clientSecret: data.clientSecret });
  var card = elements.create('payment');
  card.mount('#payment-element');
  var error = document.getElementById('card-error');
  var button = form.querySelector('button[type="submit"]');
  var busy = false;
  form.addEventListener('submit', function (event) {
    if (form.elements.setup_intent.value) return; // confirmed already: the post goes through
    event.preventDefault();
    if (busy) return;
    busy = true;
    button.disabled = true;
    error.textContent = '';
    stripe
      .confirmSetup({ elements: elements, redirect: 'if_required', confirmParams: { return_url: data.returnUrl } })
      .then(function (result) {
        if (result.error) throw new Error(result.error.message || 'The card could not be confirmed.');
        form.elements.setup_intent.value = result.setupIntent.id;
        form.submit();
      })
      .catch(function (e) {
        error.textContent = e.message;
        busy = false;
        button.disabled = false;
      });
  });
})();
