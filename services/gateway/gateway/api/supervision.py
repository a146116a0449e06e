"""Supervision (非现场监管) of the credit service: the rules catalogue, warnings with their evidence and
the regulator's actions on them, the monthly overview, and sweeps over a period."""
from ..schemas import credit as cs
from . import args, body, route, services
from .roles import ENTERPRISE_USER, INSTITUTION_ADMIN, REGULATOR, REVIEWER, SYSADMIN

# Who sees warnings: regulators of their jurisdiction, an institution its own, an enterprise those
# about its outlets (the credit service scopes each list and each warning).
READERS = [INSTITUTION_ADMIN, REVIEWER, ENTERPRISE_USER, REGULATOR, SYSADMIN]
SUPERVISORS = [REGULATOR, SYSADMIN]
W = "非现场监管"


@route("/supervision/rules", "GET", READERS, "监管规则目录：做没做 / 好不好，适用对象、严重程度、依据与限值（含本系统配置）", W)
def list_rules(actor):
    return services().credit.list_rules(actor)


@route("/supervision/warnings", "GET", READERS,
       "预警列表（?status=&rule=&category=&severity=&district=&institution_id=&enterprise_id=&outlet_id=&from=&to=&size=&after=&before=），按辖区或本单位，最新在前",
       W, query=cs.WarningQuerySchema)
def list_warnings(actor):
    return services().credit.list_warnings(actor, args())


@route("/supervision/warnings/<warning_id>", "GET", READERS, "预警详情：规则、对象、期间、数值、证据（各链接到其页面）与处理留痕", W)
def get_warning(actor, warning_id):
    return services().credit.get_warning(actor, warning_id)


@route("/supervision/warnings/<warning_id>/actions", "POST", [REGULATOR],
       "处理预警：acknowledge 确认 / dismiss 排除（须填写原因）/ suspect 标记疑似违法（移交执法）；下整改单见 POST /orders",
       W, body=cs.ActSchema)
def act_on_warning(actor, warning_id):
    return services().credit.act_on_warning(actor, warning_id, body())


@route("/supervision/overview", "GET", SUPERVISORS,
       "非现场监管概览（?month=YYYY-MM，缺省为本月）：按规则、区、机构统计预警数，及近12个月趋势", W,
       query=cs.OverviewQuerySchema)
def overview(actor):
    return services().credit.overview(actor, args())


@route("/supervision/sweeps", "POST", SUPERVISORS, "对一段期间全量筛查（与逐条事实的增量检查结果相同）；返回任务及进度", W,
       body=cs.SweepSchema, status=202)
def start_sweep(actor):
    return services().credit.start_sweep(actor, body())


@route("/supervision/sweeps/<sweep_id>", "GET", SUPERVISORS, "全量筛查的进度（done / total）与状态", W)
def sweep_status(actor, sweep_id):
    return services().credit.sweep_status(actor, sweep_id)
