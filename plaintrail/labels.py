"""One label table (en, zh) for every column, action, channel, regime and role a person reads.

Machine outputs (JSON, CSV) keep the ids and snake_case keys; documents, PDFs and the dashboard show these.
A key without a label is shown as it is, so a new column is never hidden, only unlabelled.
"""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    # the three core indicators and their companions
    "work_orders": ("Work orders", "工单量"), "complaints": ("Complaints", "投诉量"),
    "regulator_transferred": ("Regulator-transferred", "监管转办件"), "effective": ("Effective complaints", "有效投诉"),
    "work_orders_per_10k": ("Work orders per 10k customers", "工单量（每万客户）"),
    "complaints_per_10k": ("Complaints per 10k customers", "投诉量（每万客户）"),
    "regulator_transferred_per_10k": ("Regulator-transferred per 10k", "监管转办件（每万客户）"),
    "effective_per_10k": ("Effective per 10k customers", "有效投诉（每万客户）"),
    "complaints_change_pct": ("Complaints change %", "投诉量环比%"),
    "regulator_transferred_change_pct": ("Regulator-transferred change %", "监管转办件环比%"),
    "work_orders_change_pct": ("Work orders change %", "工单量环比%"),
    "effective_change_pct": ("Effective change %", "有效投诉环比%"),
    "per_10k": ("per 10k", "每万客户"), "rank_of": ("rank", "排名"),
    "customers": ("Customers", "客户数"),
    # boards
    "rank": ("Rank", "名次"), "tied_rank": ("Rank", "名次"), "tied_with": ("Tied units", "并列数"),
    "bank_tied_rank": ("Bank-wide rank", "全行名次"), "list": ("List", "榜单"), "unit": ("Unit id", "机构号"),
    "name": ("Name", "名称"), "unit_name": ("Unit", "机构"),
    "red": ("Red list", "红榜"), "black": ("Black list", "黑榜"),
    "previous_tied_rank": ("Rank last period", "上期名次"),
    # people and scores
    "received_on": ("Received on", "受理日期"), "annulment": ("Correction (action id)", "更正动作编号"),
    "annulled_action": ("Corrected action", "被更正动作"), "reason": ("Reason", "原因"), "people": ("People", "人员"),
    "at": ("At", "时间"), "note": ("Note", "备注"), "quarters": ("Quarters", "各季度"),
    "person": ("Person id", "工号"), "person_name": ("Person", "姓名"), "role": ("Role", "岗位"),
    "roles": ("Roles", "岗位"), "fines_cny": ("Fines (yuan)", "罚款（元）"), "points": ("Points", "考核分"),
    "entries": ("Entries", "记录数"), "rule": ("Rule", "规则"), "rule_name": ("Rule (name)", "规则名称"),
    "tier_name": ("Tier (name)", "档次名称"), "policy_version": ("Policy version", "政策版本"),
    "complaint_id": ("Complaint", "投诉编号"), "amount": ("Amount (yuan)", "金额（元）"),
    "events": ("Evidence (action ids)", "依据（动作编号）"), "evidence": ("Evidence", "依据"),
    "tier": ("Tier", "档次"), "decided_by": ("Decided by", "认定机构"), "outlet": ("Outlet", "网点"),
    "sub_branch": ("Sub-branch", "支行"), "branch": ("Branch", "分行"), "hq": ("Head office", "总行"),
    "subject": ("Subject", "对象"), "period": ("Period", "期间"), "total": ("Total", "合计"),
    "q_total": ("Year total", "全年合计"),
    "fines_cny_whatif": ("Fines what-if (yuan)", "假设罚款（元）"), "fines_change_cny": ("Fines change (yuan)",
                                                                                    "罚款变化（元）"),
    "points_whatif": ("Points what-if", "假设考核分"), "points_change": ("Points change", "考核分变化"),
    # the assessment beyond the fines
    "grade": ("Annual grade", "年度考核等级"), "grade_whatif": ("Grade what-if", "假设考核等级"),
    "grade_policy_version": ("Grade policy version", "评级政策版本"),
    "positive_points": ("Positive points", "正分"), "negative_points": ("Negative points", "负分"),
    "rewards_cny": ("Rewards (yuan)", "奖励（元）"), "department": ("Department", "对口部门"),
    "share": ("Share of responsibility", "责任比例"), "points_of_complaint": ("Points of the complaint", "整件分值"),
    "notice": ("Notice", "通报"), "overturned": ("Overturned on appeal", "申诉撤销"),
    "appeal": ("Appeal", "申诉"), "appeal_id": ("Appeal (action id)", "申诉动作编号"),
    "appeal_decision": ("Appeal decision", "申诉结论"), "upheld": ("Upheld", "维持"),
    "decision": ("Decision", "结论"), "decided_at": ("Decided at", "裁定时间"), "filed_at": ("Filed at", "申诉时间"),
    "due": ("Due", "到期"), "recipient": ("Recipient", "奖励对象"), "handled_count": ("Complaints handled", "处理件数"),
    "outlets": ("Outlets", "网点"), "late": ("Late", "超时件数"),
    "appeal_reason": ("Appeal reason", "申诉理由"), "appeal_decided_by": ("Appeal decided by", "申诉裁定人"),
    "decision_evidence": ("Decision's evidence", "裁定依据"), "decision_reason": ("Decision's reason", "裁定理由"),
    "complaints_named": ("Complaints named", "通报投诉"), "rewarded_by": ("Rewarded by", "奖励决定人"),
    # roles
    "president": ("President", "行长"), "supervising_vp": ("Supervising VP", "分管行长"),
    "head": ("Outlet head", "网点负责人"), "handler": ("Complaint handler", "投诉处理人"),
    # actions
    "received": ("Received", "受理"), "assigned": ("Assigned", "交办"), "contacted": ("Contacted", "联系客户"),
    "handled": ("Handled", "处理"), "feedback": ("Answered", "反馈"), "withdrawn": ("Withdrawn", "撤诉"),
    "closed": ("Closed", "办结"), "callback": ("Called back", "回访"), "escalated": ("Escalated", "升级"),
    "mediation_requested": ("Mediation requested", "申请调解"),
    "mediation_concluded": ("Mediation concluded", "调解结束"),
    "validated": ("Validated", "认定"), "compensated": ("Compensated", "赔偿"),
    "public_opinion": ("Public opinion", "舆情"),
    "reopened": ("Reopened", "重新打开"), "annulled": ("Annulled (correction)", "撤销（更正）"),
    "extended": ("Deadline extended", "延期"), "appraisal_started": ("Appraisal started", "外部鉴定开始"),
    "appraisal_ended": ("Appraisal ended", "外部鉴定结束"),
    "responsibility_assigned": ("Responsibility assigned", "认定对口部门责任"), "rewarded": ("Rewarded", "奖励"),
    "appealed": ("Appealed", "申诉"), "appeal_decided": ("Appeal decided", "申诉裁定"),
    # channels and routes
    "hotline": ("Hotline", "热线"), "app": ("Mobile app", "手机银行"), "web": ("Website", "网站"),
    "email": ("Email", "电子邮件"), "letter": ("Letter", "信函"), "direct": ("Direct", "直接受理"),
    "pboc": ("PBOC", "人民银行"), "nfra": ("NFRA (CBIRC)", "金融监管总局（银保监）"), "channel": ("Channel", "渠道"),
    "category": ("Category", "类别"), "count": ("Count", "件数"), "share_pct": ("Share %", "占比%"),
    # SLA regimes and verdicts
    "regime": ("SLA regime", "时效规则"), "same_day": ("Same day (five steps)", "当天五步（当天受理至反馈）"),
    "cbirc": ("CBIRC: 15 days (to 60)", "银保监：15日（可延至60日）"), "cfpb": ("CFPB: 15 days", "CFPB：15日"),
    "cfpb_final": ("CFPB: final 60 days", "CFPB：最终答复60日"), "fca": ("FCA: 8 weeks", "FCA：8周"),
    "fca_summary": ("FCA: summary in 3 business days", "FCA：3个工作日内简要答复"),
    "fca_payments": ("FCA: payments 15 business days", "FCA：支付类15个工作日"),
    "on_time": ("On time", "按时"), "breached": ("Breached", "超时"), "at_risk": ("At risk", "临期"),
    "open": ("Open", "未到期"), "paused": ("Paused", "暂停计时"), "ended": ("Ended", "已终止"),
    "not_applicable": ("Not applicable", "不适用"), "on_time_pct": ("On time %", "按时率%"),
    "verdict": ("Verdict", "结论"), "deadline": ("Deadline", "时限"), "met_at": ("Met at", "完成时间"),
    "state": ("State", "状态"),
    # service quality
    "callbacks": ("Callbacks", "回访数"), "callback_coverage_pct": ("Callback coverage %", "回访率%"),
    "satisfied": ("Satisfied", "满意数"), "satisfaction_pct": ("Satisfaction %", "满意率%"),
    "mediations": ("Mediations", "调解数"), "mediation_successes": ("Mediated successfully", "调解成功数"),
    "mediation_success_pct": ("Mediation success %", "调解成功率%"),
    "mediation_amount_cny": ("Mediation amount (yuan)", "调解金额（元）"), "repeats": ("Repeat complaints", "重复投诉"),
    "repeat_pct": ("Repeat %", "重复投诉率%"), "handovers": ("Hand-overs", "转办次数"),
    # hot issues
    "issue_id": ("Issue", "问题编号"), "executive": ("Executive in charge", "包案高管"),
    "opened_at": ("Opened", "立项日期"), "closed_at": ("Closed", "销号日期"), "items": ("Ledger items", "台账事项"),
    "items_closed": ("Items closed", "已整改"), "items_open": ("Items open", "未整改"),
    "items_overdue": ("Items overdue", "逾期未整改"), "in_month": ("In the period", "本期进展"),
    "progressed": ("progressed", "有进展"), "carried": ("carried over, overdue", "延续（逾期）"),
    "opened": ("opened", "新立项"), "issue_closed": ("closed", "已销号"), "yes": ("yes", "是"), "no": ("no", "否"),
    "none": ("none", "无"), "kind": ("Kind", "类型"),
    # the record: events, actions and who did them
    "action": ("Action", "动作"), "action_id": ("Action id", "动作编号"), "actor": ("Actor", "操作人"),
    "recorded_at": ("Recorded at", "记录时间"), "annulled_by": ("Annulled by", "被撤销于"),
    "target_action_id": ("Corrects action", "更正目标动作"), "correction": ("Correction", "更正"),
    "assignee": ("Assignee", "承办人"), "bank_caused": ("Bank's fault", "我行责任"), "outcome": ("Outcome", "结果"),
    "customer_ref": ("Customer ref", "客户编号"), "extended_days": ("Days extended", "延期天数"),
    "paused_days": ("Days paused", "暂停天数"), "version": ("Version", "版本"), "via": ("Via", "转办途径"),
    "user": ("User", "用户"), "detail": ("Detail", "详情"), "notification_id": ("Event no.", "事件序号"),
    "item_id": ("Item", "事项编号"), "title": ("Title", "事项"), "owner": ("Owner", "责任人"),
    "changes": ("Changes", "变化"),
    # the board's companions: the previous period and how the list was drawn
    "work_orders_previous": ("Work orders last period", "上期工单量"),
    "complaints_previous": ("Complaints last period", "上期投诉量"),
    "regulator_transferred_previous": ("Regulator-transferred last period", "上期监管转办件"),
    "effective_previous": ("Effective last period", "上期有效投诉"),
    "previous_rank": ("Place last period", "上期位次"), "rank_change": ("Place change", "位次变化"),
    "tied_rank_change": ("Rank change", "名次变化"), "ranked_on": ("Ranked on", "排名依据"),
    "list_note": ("How the lists were drawn", "榜单说明"),
    "list_policy_version": ("List policy version", "榜单政策版本"),
    "list_size": ("List size N", "上榜数N"),
    # scoring rules and tiers (the policy's words for why an entry exists)
    "fine.hq": ("Fine: decided by head office", "罚款：总行认定"),
    "fine.regulator": ("Fine: decided by a regulator", "罚款：监管认定"),
    "fine.aggravated": ("Fine: compensation or public opinion", "罚款：赔偿或舆情"),
    "fine.branch": ("Fine: decided by the branch", "罚款：分行认定"),
    "outlet.effective.hq": ("Outlet: effective (head office)", "网点：有效投诉（总行认定）"),
    "outlet.effective.regulator": ("Outlet: effective (regulator)", "网点：有效投诉（监管认定）"),
    "outlet.effective.aggravated": ("Outlet: effective (aggravated)", "网点：有效投诉（赔偿或舆情）"),
    "outlet.effective.branch": ("Outlet: effective (branch)", "网点：有效投诉（分行认定）"),
    "department.effective.hq": ("Department: effective (head office)", "对口部门：有效投诉（总行认定）"),
    "department.effective.regulator": ("Department: effective (regulator)", "对口部门：有效投诉（监管认定）"),
    "department.effective.aggravated": ("Department: effective (aggravated)", "对口部门：有效投诉（赔偿或舆情）"),
    "department.effective.branch": ("Department: effective (branch)", "对口部门：有效投诉（分行认定）"),
    "outlet.sla_breach": ("Outlet: SLA breached", "网点：超时办理"),
    "outlet.no_complaints_bonus": ("Outlet: no complaints (bonus)", "网点：零投诉加分"),
    "outlet.hot_issue_overdue": ("Outlet: hot-issue item overdue", "网点：热点问题逾期未整改"),
    "reward.person": ("Reward: person", "奖励：个人"), "reward.unit": ("Reward: unit", "奖励：机构"),
    "accountability.person": ("Accountability notice: person", "问责通报：个人"),
    "accountability.outlet": ("Accountability notice: outlet", "问责通报：网点"),
    "aggravated": ("Aggravated (compensation or public opinion)", "加重（赔偿或舆情）"),
    "regulator": ("Regulator", "监管机构"),
    # headline
    "indicator": ("Indicator", "指标"), "this_period": ("This period", "本期"), "previous": ("Previous period", "上期"),
    "mom_pct": ("Change on previous %", "环比%"), "year_ago": ("Same period last year", "去年同期"),
    "yoy_pct": ("Change on last year %", "同比%"),
}


def label(key: str, lang: str) -> str:
    """The person's word for `key` in `lang` ('zh' or 'en'); the key itself when the table has none."""
    found = LABELS.get(key)
    if found is None:
        return key
    return found[1] if lang == "zh" else found[0]


def both(key: str) -> str:
    """English and Chinese together, for the dashboard's bilingual pages."""
    found = LABELS.get(key)
    return f"{found[0]} {found[1]}" if found else key


def headers(columns: list[str], lang: str) -> list[str]:
    return [label(c, lang) for c in columns]
