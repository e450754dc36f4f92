// Select or clear every row checkbox of the queue page (bulk actions).
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (!all) return;
  all.addEventListener("change", () => {
    for (const box of document.querySelectorAll('#bulk input[name="item"]')) box.checked = all.checked;
  });
});
