"""API routes of the topology room: kebab-case plural names under /api/."""

from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("designs", views.DesignViewSet, basename="design")
router.register("validation-rules", views.ValidationRuleViewSet, basename="validation-rule")
router.register("hosts", views.HostViewSet, basename="host")
router.register("interfaces", views.InterfaceViewSet, basename="interface")
router.register("static-routes", views.StaticRouteViewSet, basename="staticroute")
router.register("switches", views.SwitchViewSet, basename="switch")
router.register("switch-ports", views.SwitchPortViewSet, basename="switchport")
router.register("vxlan-segments", views.VxlanSegmentViewSet, basename="vxlansegment")
router.register("vxlan-members", views.VxlanMemberViewSet, basename="vxlanmember")
router.register("jails", views.JailViewSet, basename="jail")
router.register("jail-addresses", views.JailAddressViewSet, basename="jailaddress")
router.register("jail-nics", views.JailNicViewSet, basename="jailnic")
router.register("vms", views.VirtualMachineViewSet, basename="virtualmachine")
router.register("vm-nics", views.VmNicViewSet, basename="vmnic")
router.register("nat-rules", views.OutboundNatViewSet, basename="outboundnat")
router.register("port-redirects", views.PortRedirectViewSet, basename="portredirect")
router.register("dhcp-services", views.DhcpServiceViewSet, basename="dhcpservice")
router.register("dhcp-static-leases", views.DhcpStaticLeaseViewSet, basename="dhcpstaticlease")
router.register("firewall-policies", views.FirewallPolicyViewSet, basename="firewallpolicy")
router.register("firewall-rules", views.FirewallRuleViewSet, basename="firewallrule")

urlpatterns = router.urls
