"""The rules catalogue: every supervision rule as data, in the order the pages list them.

`feeds` names the kinds of fact each rule is judged on (usecases/engine.py runs only those rules
when such a fact arrives): occurrence, obligation, report, record, person, task, tick (the
time-based check), void (an institution-month's counts), flag (a person-month's flags).
"""
from emss_common.vocabulary import CHECKIN_FLAGS

from ..inspections import COMPARISON_FAILED, INSPECTION_FAILED
from ..limits import INTEGRITY_FLAGS
from ..orders import OVERDUE_RULE
from .base import JudgedElsewhere
from .done import (ConfirmationOverdue, ExpiredCalibration, ExpiredQualification, MissedOccurrence,
                   ReportLate, ReportMissing, TaskIdle)
from .quality import FaultSlow, FollowupMissing, IntegrityPattern, VoidRate

_DONE = (
    MissedOccurrence("OM_MISSED", "运维频次未完成", "done", "task", "medium", "P",
                     "种子000：自动筛查运维频次；按运维计划，计划未列时按标准默认频次（HJ 75 / HJ 355）",
                     feeds=("occurrence",)),
    MissedOccurrence("CHECK_MISSED", "校验/比对/校准频次未完成", "done", "task", "high", "P",
                     "种子000：比对、校验频次；定期校验（3个月一次）种子001，实际水样比对、校准 HJ 355 / HJ 75 [S]",
                     feeds=("occurrence",), checks=True),
    ReportMissing("REPORT_MISSING", "报告未上传", "done", "task", "medium", "P",
                  "种子000：比对/校准报告出具后5个工作日内上传", feeds=("obligation", "report")),
    ReportLate("REPORT_LATE", "报告逾期上传", "done", "task", "low", "P",
               "种子000：比对/校准报告出具后5个工作日内上传（法定工作日，含调休）",
               ("REPORT_UPLOAD_WORKING_DAYS",), feeds=("report",)),
    ConfirmationOverdue("CONFIRMATION_OVERDUE", "运维记录逾期未确认", "done", "record", "low", "P",
                        "种子000、003：排污单位当天确认运维记录", feeds=("record",)),
    TaskIdle("TASK_IDLE", "运维任务长期无记录", "done", "task", "medium", "D",
             "本系统默认值；巡检间隔不超过7天 HJ 75 / HJ 355 [S]", ("TASK_IDLE_DAYS",),
             feeds=("task", "record", "tick")),
    ExpiredQualification(
        "EXPIRED_QUALIFICATION", "上岗证过期仍作业", "done", "person", "high", "P",
        "设计说明：二审人员上岗证及有效期；种子000 运维人员持证上岗",
        feeds=("record", "person")),
    ExpiredCalibration(
        "EXPIRED_CALIBRATION", "仪器设备检定/校准过期仍作业", "done", "record", "high", "P",
        "种子003：运维机构仪器设备的检定和校准证书；以填报时备案的有效期为准",
        note="运维人员在记录中勾选所用的本机构备案仪器设备；未勾选的无法判断", feeds=("record",)),
)

_QUALITY = (
    FaultSlow("FAULT_SLOW", "故障处理超时", "quality", "record", "high", "S",
              "种子000：故障解决时间；到达现场24小时、一般故障8小时排除、72小时内修复或启用备用仪器 [S]",
              ("FAULT_ARRIVAL_HOURS", "FAULT_SIMPLE_FIX_HOURS", "FAULT_BACKUP_HOURS"), feeds=("record",)),
    FollowupMissing("FOLLOWUP_MISSING", "校准/比对不合格未及时复测", "quality", "outlet", "high", "D",
                    "HJ 75 / HJ 355 失控后应校准并复测合格 [S]；期限为本系统默认值", ("FOLLOWUP_HOURS",),
                    feeds=("record", "tick")),
    VoidRate("VOID_RATE", "作废记录比例过高", "quality", "institution", "medium", "D",
             "本系统默认值；设计说明：审核作废须说明理由", ("VOID_RATE_PCT", "VOID_RATE_MIN_RECORDS"),
             feeds=("void",)),
    *(IntegrityPattern(f"INTEGRITY_{flag.upper()}", f"异常打卡/照片：{CHECKIN_FLAGS[flag]}", "quality",
                       "person", "high" if flag == "duplicate_photo" else "medium", "D",
                       "种子001：签到时间、经纬度及工作照片；判定次数为本系统默认值",
                       (f"INTEGRITY_{flag.upper()}_MIN",), feeds=("flag",), flag=flag)
      for flag in INTEGRITY_FLAGS),
)

# Raised by the orders and inspections use cases, not by facts arriving.
_ELSEWHERE = (
    JudgedElsewhere(OVERDUE_RULE, "整改单逾期未整改", "done", "institution", "high", "P",
                    "种子004（九）问题销号：整改单到期未整改；期限（工作日）为本系统默认值 EMSS_ORDER_WORKING_DAYS [D]"),
    JudgedElsewhere(INSPECTION_FAILED, "现场检查不合格项", "quality", "institution", "medium", "P",
                    "种子000：有针对性的开展现场检查，综合运用系统核查和现场检查"),
    JudgedElsewhere(COMPARISON_FAILED, "比对抽测不合格", "quality", "outlet", "high", "P",
                    "种子004（十）：比对不合格，经核实未按相关标准规范运维；限值 HJ 355 / HJ 75（表单目录）"),
)

RULES = _DONE + _QUALITY + _ELSEWHERE
BY_CODE = {r.code: r for r in RULES}
INTEGRITY_RULES = {r.flag: r for r in RULES if isinstance(r, IntegrityPattern)}


def by_code(code):
    return BY_CODE[code]


def fed_by(kind):
    return tuple(r for r in RULES if kind in r.feeds)


def list_rules(limits):
    return [r.describe(limits) for r in RULES]
