// Import Progress, live: asks the import's JSON every second and moves the bar; reloads the page
// when the job is finished (the page itself then shows the results). Without JavaScript the page
// reloads itself every two seconds instead (its Refresh header).
(() => {
  const panel = document.getElementById('job');
  const bar = document.getElementById('job-progress');
  if (!panel || !bar) return;
  const tick = async () => {
    try {
      const res = await fetch(panel.dataset.jobUrl, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (!res.ok) return;
      const job = await res.json();
      bar.max = Math.max(job.total, 1);
      bar.value = job.processed;
      bar.textContent = `${job.processed} of ${job.total}`;
      if (job.status === 'done' || job.status === 'failed') {
        window.location.reload();
        return;
      }
    } catch {
      // The next tick (or the page's own refresh) tries again.
    }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 1000);
})();
