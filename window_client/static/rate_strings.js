// The console's strings for 请评价 (the rating pad), Chinese first.
export const RATE_STRINGS = {
  zh: {
    "rate.ask": "请评价",
    "rate.sent": "已在评价器上显示 {number} 的评价，请市民评价。",
    "rate.none": "请先办结一笔业务。",
  },
  en: {
    "rate.ask": "Ask to rate",
    "rate.sent": "The rating pad shows {number}: the citizen may rate now.",
    "rate.none": "Finish a ticket first.",
  },
};
